"""Scenario 3: an admin changes runtime settings on the admin page and a reload shows them; a plain user is
offered no admin link, #/admin shows "not allowed" with no form, and the API refuses the user's token."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.browser import Screenshots, Tab, api_call, sign_in


def test_admin_changes_a_runtime_setting_and_it_persists(tab: Tab, base_url: str,
                                                         screenshots: Screenshots) -> None:
    page = tab.page
    sign_in(page, base_url, "admin", route="#/admin")
    expect(page.get_by_test_id("admin-link")).to_be_visible()
    expect(page.get_by_test_id("admin-link")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("settings-form")).to_be_visible()
    # Every control stays inside the form's panel (a long model name once pushed the select out of it).
    panel = page.get_by_test_id("settings-form").bounding_box()
    assert panel
    for name in ("defaultModel", "temperature", "systemPrompt"):
        box = page.get_by_test_id(f"setting-{name}").bounding_box()
        assert box and box["x"] + box["width"] <= panel["x"] + panel["width"], (name, box, panel)
    meta = page.get_by_test_id("settings-meta")
    version = int(meta.get_attribute("data-version") or "-1")
    temperature = page.get_by_test_id("setting-temperature")
    new_temperature = "0.15" if temperature.input_value() != "0.15" else "0.35"
    prompt = f"You answer questions about beekeeping, briefly. (set by the e2e run, v{version})"
    temperature.fill(new_temperature)
    page.get_by_test_id("setting-systemPrompt").fill(prompt)
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-status")).to_have_text(f"Saved (version {version + 1}).")
    expect(meta).to_have_attribute("data-version", str(version + 1))
    expect(meta).to_contain_text("by admin")
    screenshots.take(page, "admin-settings")

    page.reload()
    expect(page.get_by_test_id("settings-form")).to_be_visible()
    expect(page.get_by_test_id("setting-temperature")).to_have_value(new_temperature)
    expect(page.get_by_test_id("setting-systemPrompt")).to_have_value(prompt)
    expect(page.get_by_test_id("settings-meta")).to_have_attribute("data-version", str(version + 1))

    # Saving unchanged values sends nothing.
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-status")).to_have_text("Nothing has changed.")
    expect(page.get_by_test_id("settings-meta")).to_have_attribute("data-version", str(version + 1))


def test_plain_user_cannot_reach_the_admin_page_or_api(tab: Tab, base_url: str,
                                                       config: dict[str, Any]) -> None:
    page = tab.page
    sign_in(page, base_url, "user", route="#/admin")
    expect(page.get_by_test_id("not-allowed")).to_be_visible()
    expect(page.get_by_test_id("settings-form")).to_have_count(0)
    expect(page.get_by_test_id("admin-view")).to_have_count(0)
    expect(page.get_by_test_id("admin-link")).to_be_hidden()
    expect(page.get_by_test_id("workspaces-link")).to_be_hidden()
    page.goto(f"{base_url}/#/workspaces")
    expect(page.get_by_test_id("not-allowed")).to_be_visible()
    expect(page.get_by_test_id("workspace-form")).to_have_count(0)

    # The server enforces it: the user's own token, from the page, is refused by the admin API. (Chromium
    # logs each refused request as a console error: these are deliberate.)
    tab.watch.allow(re.escape("the server responded with a status of 403"))
    read = api_call(page, "GET", "/settings")
    assert read["status"] == 200, read  # reading is allowed (the chat needs the defaults)
    version = json.loads(read["body"])["version"]
    refused = api_call(page, "PUT", "/settings", {"version": version, "temperature": 0.9})
    assert refused["status"] == 403, refused
    refused_workspace = api_call(page, "POST", "/workspaces", {
        "name": "Not mine", "embeddingModel": config["embeddingModels"][0], "chunkSize": 300,
        "chunkOverlap": 50, "hybridSearch": False})
    assert refused_workspace["status"] == 403, refused_workspace
    after = json.loads(api_call(page, "GET", "/settings")["body"])
    assert after["version"] == version and after["temperature"] != 0.9, after
