"""The documents page's crawl form (the local server crawls, with feeds on and 25 pages at most): labelled
controls, the form's own https check, the API's refusal shown as text, and a started crawl. The started
crawl's host is on the reserved .invalid domain: no page is fetched, with or without a network."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser import Tab, sign_in
from tests.e2e.test_documents import create_workspace

STARTED = "Crawl started: pages appear below as they are ingested"


def test_a_manager_crawls_a_site_into_a_workspace(tab: Tab, base_url: str, config: dict[str, Any]) -> None:
    page = tab.page
    tab.watch.allow(re.escape("the server responded with a status of 400"))  # the refusal below
    sign_in(page, base_url, "admin", route="#/workspaces")
    workspace_id = create_workspace(page, "Crawled site", config["embeddingModels"][0])
    page.locator(f'[data-testid="workspace-row"][data-workspace-id="{workspace_id}"]').get_by_test_id(
        "workspace-link").click()
    form = page.get_by_test_id("crawl-form")
    expect(form).to_be_visible()
    expect(form.get_by_role("heading", name="Crawl a website")).to_be_visible()
    url = form.get_by_label("Start address")
    expect(form.get_by_label("Most pages")).to_have_value("25")
    kinds = form.get_by_label("What the address is").locator("option")
    expect(kinds).to_have_count(3)  # page, sitemap and, with CRAWLER_FEEDS=true, feed
    status = form.get_by_test_id("crawl-status")

    url.fill("http://example.com/")
    url.press("Enter")  # the keyboard submits
    expect(status).to_have_text("Only https addresses can be crawled.")
    url.fill("https://127.0.0.1/")
    form.get_by_test_id("start-crawl").click()
    expect(status).to_have_attribute("data-state", "error")
    expect(status).to_have_text(re.compile(r"^url: .*IP address"))  # the API's own message, as text

    url.fill("https://crawl-test.invalid/")
    form.get_by_label("Most pages").fill("2")
    form.get_by_test_id("start-crawl").click()
    expect(status).to_have_text(STARTED)
    expect(status).to_have_attribute("data-state", "started")
