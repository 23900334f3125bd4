"""Scenario 2: a workspace manager creates a workspace with the local embedding model, uploads
tests/data/sample.md, waits until it is ready, binds a chat to the workspace, asks about the document and
sees the quoted answer with its citation and the source's file name."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.browser import REPO, Screenshots, Tab, sign_in, wait_connected

SAMPLE = REPO / "tests" / "data" / "sample.md"
PROCESSING_TIMEOUT_MS = 60_000


def create_workspace(page: Page, name: str, embedding_model: str) -> str:
    """On #/workspaces: fill the form, create, and return the new workspace's id from its row."""
    expect(page.get_by_test_id("workspaces-view")).to_be_visible()
    page.get_by_test_id("workspace-name").fill(name)
    model = page.get_by_test_id("workspace-embedding-model")
    expect(model).to_have_value(embedding_model)  # the one config.json offers, filled in
    model.fill(embedding_model)
    page.get_by_test_id("create-workspace").click()
    row = page.get_by_test_id("workspace-row").filter(has=page.get_by_role("link", name=name, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{embedding_model} (256 dims)")
    workspace_id = row.get_attribute("data-workspace-id")
    assert workspace_id
    return workspace_id


def upload_and_wait_ready(page: Page, workspace_id: str, path: Any) -> None:
    """From the workspace list: open the workspace, upload the file, wait for the processor to index it."""
    page.locator(f'[data-testid="workspace-row"][data-workspace-id="{workspace_id}"]').get_by_test_id(
        "workspace-link").click()
    expect(page.get_by_test_id("documents-view")).to_be_visible()
    expect(page.get_by_test_id("document-empty")).to_be_visible()
    page.get_by_test_id("upload-input").set_input_files(str(path))
    item = page.locator(f'[data-testid="upload-item"][data-file-name="{path.name}"]')
    expect(item).to_have_attribute("data-state", "done")
    expect(item.get_by_test_id("upload-progress")).to_have_js_property("value", 1)
    row = page.locator(f'[data-testid="document-row"][data-file-name="{path.name}"]')
    expect(row).to_have_attribute("data-status", "ready", timeout=PROCESSING_TIMEOUT_MS)
    expect(row.get_by_test_id("document-status")).to_have_text("Ready")
    expect(row.get_by_test_id("document-reason")).to_have_count(0)
    expect(item.get_by_test_id("upload-status")).to_have_text("Ready.")  # no longer "processing starts"
    updated = row.get_by_test_id("document-updated").locator("time")
    expect(updated).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(updated).to_have_text(re.compile(r"\d{4}"))  # a local date and time, not "—"


def new_chat_bound_to(page: Page, workspace_name: str) -> str:
    """New chat, then the workspace picker binds it (PATCH /sessions/{id}); returns the session id."""
    page.get_by_test_id("chat-link").click()
    wait_connected(page)
    page.get_by_test_id("new-chat").click()
    page.wait_for_url(re.compile(r"#/chat/[0-9a-f]+$"))
    expect(page.get_by_test_id("chat-title")).to_have_text("New chat")
    page.get_by_test_id("workspace-picker").select_option(label=workspace_name)
    expect(page.get_by_test_id("workspace-status")).to_have_text(f"Answers use “{workspace_name}”.")
    return page.url.rsplit("/", 1)[1]


def ask(page: Page, question: str) -> Any:
    """Send the question and wait for its own answer (not an earlier one already done) to finish."""
    answers = page.get_by_test_id("answer")
    before = answers.count()
    page.get_by_test_id("message-input").fill(question)
    page.get_by_test_id("send-button").click()
    expect(answers).to_have_count(before + 1)
    answer = answers.nth(before)
    expect(answer).to_have_attribute("data-state", "done")
    return answer


def test_upload_a_document_and_ask_about_it(tab: Tab, base_url: str, config: dict[str, Any],
                                            screenshots: Screenshots) -> None:
    page = tab.page
    embedding_model = config["embeddingModels"][0]
    sign_in(page, base_url, "admin", route="#/workspaces")
    expect(page.get_by_test_id("workspaces-link")).to_be_visible()
    workspace_id = create_workspace(page, "Beekeeping", embedding_model)
    upload_and_wait_ready(page, workspace_id, SAMPLE)
    expect(page.get_by_test_id("workspace-details")).to_contain_text(embedding_model)
    screenshots.take(page, "workspace-documents")

    session_id = new_chat_bound_to(page, "Beekeeping")
    answer = ask(page, "How often should I inspect the hive?")
    body = answer.get_by_test_id("answer-body")
    expect(body).to_contain_text("Inspect every nine days in spring.")
    citation = body.get_by_test_id("citation").first
    expect(citation).to_have_text(re.compile(r"^\[\d+\]$"))
    n = citation.get_attribute("data-n")
    source = answer.locator(f'[data-testid="source"][data-n="{n}"]')
    expect(source.get_by_test_id("source-file")).to_have_text("sample.md")
    expect(source.get_by_test_id("source-snippet")).to_contain_text("Inspect every nine days in spring.")
    expect(source.get_by_test_id("source-location")).to_contain_text("Inspections")
    expect(citation).to_have_attribute("aria-label", f"Source {n}: sample.md")
    screenshots.take(page, "chat-answer-with-sources")
    citation.click()  # an in-page jump to the source, not a route change
    expect(source).to_be_focused()
    assert page.url.endswith(f"#/chat/{session_id}")
