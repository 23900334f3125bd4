"""Scenario 5: the keyboard alone signs in, reaches the message box by Tab and sends with Enter (Shift+Enter
is a new line), and deletes a chat through the confirmation dialog; at phone width the chat list is a
collapsible overlay."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.browser import PASSWORDS, Screenshots, Tab, sign_in, wait_connected

MOBILE = {"width": 390, "height": 844}


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate("""() => {
      const e = document.activeElement;
      return { id: e?.id ?? '', testid: e?.dataset?.testid ?? '', tag: e?.tagName ?? '' };
    }""")


def tab_until(page: Page, attribute: str, value: str, key: str = "Tab", limit: int = 40) -> int:
    """Press Tab (or Shift+Tab) until the focused element's id or test id is `value`; returns the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if focused(page)[attribute] == value:
            return presses
    raise AssertionError(f"{key} never reached {attribute}={value}; focus is on {focused(page)}")


def test_keyboard_only_sign_in_send_and_delete(tab: Tab, base_url: str) -> None:
    page = tab.page
    page.goto(f"{base_url}/")
    expect(page.get_by_test_id("signin-view")).to_be_visible()
    assert tab_until(page, "testid", "skip-link") == 1  # the first stop skips to the content
    tab_until(page, "testid", "sign-in", limit=10)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/auth/oauth2/authorize\?"))
    tab_until(page, "id", "username", limit=10)
    page.keyboard.type("user")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    page.keyboard.type(PASSWORDS["user"])
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("user-name")).to_have_text("user")
    expect(page.get_by_test_id("chat-view")).to_be_visible()
    wait_connected(page)

    # From wherever the page put the focus, back to the skip link, into the content, then Tab to the box.
    tab_until(page, "testid", "skip-link", key="Shift+Tab")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    tab_until(page, "testid", "message-input", limit=15)
    page.keyboard.type("Hello from the keyboard")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("on two lines")
    expect(page.get_by_test_id("question")).to_have_count(0)  # Shift+Enter is a new line, not a send
    expect(page.get_by_test_id("message-input")).to_have_value("Hello from the keyboard\non two lines")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("answer")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("question").locator(".message-text")).to_have_text(
        "Hello from the keyboard\non two lines")
    expect(page.get_by_test_id("message-input")).to_have_value("")
    page.wait_for_url(re.compile(r"#/chat/[0-9a-f]+$"))
    session_id = page.url.rsplit("/", 1)[1]

    # Delete the chat from the list: Escape cancels the dialog, then Tab to Delete and Enter.
    item = page.locator(f'[data-testid="session-item"][data-session-id="{session_id}"]')
    expect(item).to_have_text("Hello from the keyboard")
    item.get_by_test_id("delete-session").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("confirm-cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(item.get_by_test_id("delete-session")).to_be_focused()  # focus goes back where it was
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_test_id("confirm-ok")).to_be_focused()
    page.keyboard.press("Enter")
    expect(item).to_have_count(0)
    expect(page).to_have_url(re.compile(r"#/chat$"))


def test_phone_width_has_a_collapsible_chat_list(tabs: Any, base_url: str, screenshots: Screenshots) -> None:
    tab: Tab = tabs(viewport=MOBILE)
    page = tab.page
    sign_in(page, base_url, "user")
    expect(page.get_by_test_id("chat-view")).to_be_visible()
    sidebar, toggle = page.get_by_test_id("sidebar"), page.get_by_test_id("menu-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(sidebar).not_to_be_visible()
    fits = page.evaluate("() => document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways"
    screenshots.take(page, "mobile-chat")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_be_visible()
    box = sidebar.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= MOBILE["width"], box
    page.get_by_test_id("new-chat").click()  # a choice closes the list
    page.wait_for_url(re.compile(r"#/chat/[0-9a-f]+$"))
    session_id = page.url.rsplit("/", 1)[1]
    expect(sidebar).not_to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("message-input")).to_be_focused()  # the new chat is loaded

    toggle.click()
    expect(page.locator(f'[data-testid="session-item"][data-session-id="{session_id}"]')).to_be_visible()
    expect(sidebar).to_be_visible()
    screenshots.take(page, "mobile-chat-list")
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_visible()
    expect(toggle).to_be_focused()
