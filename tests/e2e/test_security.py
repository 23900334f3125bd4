"""Scenario 4: no unescaped HTML from hostile input, and the CSP watch itself.

Hostile HTML and script reach the page three ways here: a document's text (quoted in the answer and shown in
its sources), the question (and the chat title made from it), and a chat renamed by hand. None may become
an element; each must show as text. Every test in this package also fails on any CSP violation or page
error (conftest.py); the canary below proves that watch sees a violation when there is one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.browser import Tab, sign_in
from tests.e2e.test_documents import ask, create_workspace, new_chat_bound_to, upload_and_wait_ready

# Three sentences close to the question, so that the local answerer quotes them all (it quotes at most
# three): markdown links to javascript:, raw HTML with an inline handler, a script and a raw javascript: link.
HOSTILE_DOCUMENT = """# Hive secrets <img src=x onerror="window.__pwned='heading'">

The hive password is [sunflower](javascript:window.__pwned='markdown-link') or \
<img src=x onerror="window.__pwned='img'"> sunflower.

The hive password is <script>window.__pwned='script'</script> sunflower.

The hive password is <a href="javascript:window.__pwned='raw-link'">sunflower</a> now.

<div onmouseover="window.__pwned='div'"><b>Smoke</b> calms the bees.</div>
<iframe src="javascript:window.__pwned='iframe'"></iframe> <svg onload="window.__pwned='svg'"></svg>
"""
QUESTION = "What is the hive password? <b>sunflower?</b>"  # short enough to be the chat's title as it is
RENAMED = "<img src=x onerror=\"window.__pwned='title'\"><script>window.__pwned='title-script'</script> & co"
# Anything the hostile text would create if it were parsed as HTML (the app's own page has none of these).
INJECTED = ('img[src="x"], script:not([src]), iframe, svg[onload], a[href^="javascript:" i], '
            "[onerror], [onload], [onmouseover], [onclick]")


def assert_nothing_injected(page: Page) -> None:
    found = page.evaluate("(selector) => [...document.querySelectorAll(selector)].map((e) => e.outerHTML)",
                          INJECTED)
    assert found == [], f"hostile markup became elements: {found}"
    assert page.evaluate("() => window.__pwned") is None, "a hostile script ran"


def test_hostile_document_question_and_title_stay_text(tab: Tab, base_url: str, config: dict[str, Any],
                                                       tmp_path: Path) -> None:
    page = tab.page
    hostile = tmp_path / "hostile-notes.md"
    hostile.write_text(HOSTILE_DOCUMENT)
    sign_in(page, base_url, "admin", route="#/workspaces")
    workspace_id = create_workspace(page, "Hostile", config["embeddingModels"][0])
    upload_and_wait_ready(page, workspace_id, hostile)
    assert_nothing_injected(page)

    session_id = new_chat_bound_to(page, "Hostile")
    item = page.locator(f'[data-testid="session-item"][data-session-id="{session_id}"]')
    answer = ask(page, QUESTION)
    expect(page.get_by_test_id("question").locator(".message-text")).to_have_text(QUESTION)
    body = answer.get_by_test_id("answer-body")
    expect(body).to_be_visible()
    # The quotes carry the raw markup as visible text.
    expect(body).to_contain_text("""<img src=x onerror="window.__pwned='img'">""")
    expect(body).to_contain_text("<script>window.__pwned='script'</script>")
    expect(body).to_contain_text("""<a href="javascript:window.__pwned='raw-link'">sunflower</a>""")
    expect(body).to_contain_text("javascript:window.__pwned='markdown-link'")
    snippets = answer.get_by_test_id("source-snippet")
    expect(snippets.filter(has_text="<img src=x onerror=").first).to_be_visible()
    expect(answer.get_by_test_id("source-file").first).to_have_text("hostile-notes.md")
    expect(answer.get_by_test_id("source-location").first).to_contain_text("Hive secrets <img src=x")
    # The javascript: links are text, not links; the only links in an answer are its citations.
    expect(answer.locator("a:not([data-testid=citation])")).to_have_count(0)
    expect(body.get_by_test_id("citation").first).to_be_visible()
    # The chat title made from the question is text too, in the sidebar and the heading.
    expect(page.get_by_test_id("chat-title")).to_have_text(QUESTION)
    expect(item.get_by_test_id("session-link")).to_have_text(QUESTION)
    assert_nothing_injected(page)

    # Renamed by hand (Enter saves): still text.
    item.get_by_test_id("rename-session").click()
    page.get_by_test_id("rename-input").fill(RENAMED)
    page.get_by_test_id("rename-input").press("Enter")
    expect(item.get_by_test_id("session-link")).to_have_text(RENAMED)
    expect(page.get_by_test_id("chat-title")).to_have_text(RENAMED)
    page.reload()
    expect(page.get_by_test_id("chat-title")).to_have_text(RENAMED)
    expect(page.get_by_test_id("answer-body")).to_contain_text("<script>window.__pwned='script'</script>")
    page.get_by_test_id("answer").first.hover()
    assert_nothing_injected(page)
    assert tab.watch.csp_violations() == []


def test_the_csp_watch_catches_a_violation(tab: Tab, base_url: str) -> None:
    """The canary: the served page has the stack's CSP, and an inline script is blocked and reported."""
    page = tab.page
    response = page.goto(f"{base_url}/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert re.search(r"script-src 'self'(;|$)", policy), policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], policy
    expect(page.get_by_test_id("signin-view")).to_be_visible()
    assert tab.watch.csp_violations() == []
    page.evaluate("""() => {
      const script = document.createElement('script');
      script.textContent = "window.__pwned = 'inline'";
      document.body.append(script);
    }""")
    for _ in range(100):  # console events arrive asynchronously
        if len(violations := tab.watch.csp_violations()) >= 2:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("() => window.__pwned") is None
    assert violations, "the blocked inline script was not reported"
    # Both Chromium's own message and the page's securitypolicyviolation listener saw it.
    chromium = "violates the following Content Security Policy directive"
    assert any(chromium in v for v in violations), violations
    assert any(v.startswith("Content-Security-Policy violation: script-src") for v in violations), violations
    tab.watch.console.clear()  # seen on purpose: the fixture's own check must not fail on it
