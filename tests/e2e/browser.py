"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; nothing downloads a browser) and
what the end-to-end tests watch in each page: console messages, page errors, CSP violations, WebSocket
frames."""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, WebSocket, expect

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO / "reports" / "screenshots"
DOC_SCREENSHOTS = REPO / "docs" / "screenshots"
PASSWORDS = {"admin": "admin-local-only", "user": "user-local-only"}  # local/users.yaml's public ones
TIMEOUT_MS = 20_000
# Root has no sandbox to drop into; the rest stops Chromium's own traffic (updates, sync, field trials),
# which a closed network refuses. Playwright's launch() gives every run a new, empty user-data-dir.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps", "--disable-extensions"]
# Chromium writes "... violates the following Content Security Policy directive ..."; the page's own
# listener (INSTRUMENT) writes "Content-Security-Policy violation: ...". Both count.
CSP = re.compile(r"content[- ]security[- ]policy", re.IGNORECASE)

# Added to every document before its own scripts (through CDP, so the page's CSP does not apply to it):
# - every `securitypolicyviolation` event is logged, so a violation is caught even without Chromium's message;
# - answers' data-state changes and their body's rendered text lengths are recorded, to prove that an
#   answer was rendered piece by piece before it was done.
INSTRUMENT = """
(() => {
  const states = [];
  const lengths = [];
  Object.defineProperty(window, '__e2eAnswerStates', { value: states });
  Object.defineProperty(window, '__e2eAnswerLengths', { value: lengths });
  document.addEventListener('securitypolicyviolation', (e) => {
    const blocked = e.blockedURI || 'inline';
    console.error(`Content-Security-Policy violation: ${e.violatedDirective} blocked ${blocked}`);
  });
  const answerOf = (node) => node.closest && node.closest('[data-testid="answer"]');
  const record = (node) => {
    if (node.dataset && node.dataset.testid === 'answer') {
      states.push([node.dataset.messageId, node.dataset.state]);
    }
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'attributes') { record(m.target); continue; }
      if (m.target.dataset && m.target.dataset.testid === 'answer-body') {
        lengths.push([answerOf(m.target)?.dataset.messageId, m.target.textContent.length]);
      }
      for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue;
        record(n);
        n.querySelectorAll('[data-testid="answer"]').forEach(record);
      }
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
})();
"""


def chromium_missing() -> bool:
    return not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK))


def launch(playwright: Any) -> Browser:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


@dataclass
class Watch:
    """What one page showed in its console and raised, and the frames its WebSockets received."""

    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    frames: list[dict[str, Any]] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{error.name}: {error.message}"))
        page.on("websocket", self._on_websocket)

    def allow(self, pattern: str) -> None:
        """A console error the test causes on purpose (never a CSP one: those always fail)."""
        self.allowed.append(re.compile(pattern))

    def csp_violations(self) -> list[str]:
        return [text for _, text in self.console if CSP.search(text)]

    def problems(self) -> list[str]:
        errors = [text for kind, text in self.console if kind == "error" and not CSP.search(text)
                  and not any(p.search(text) for p in self.allowed)]
        return ([f"CSP violation: {t}" for t in self.csp_violations()]
                + [f"page error: {t}" for t in self.page_errors]
                + [f"console error: {t}" for t in errors])

    def deltas(self, message_id: str) -> list[str]:
        return [f["text"] for f in self.frames
                if f.get("type") == "delta" and f.get("messageId") == message_id]

    def _on_console(self, message: ConsoleMessage) -> None:
        self.console.append((message.type, message.text))

    def _on_websocket(self, socket: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            try:
                frame = json.loads(payload)
            except ValueError:
                frame = {"type": "unparsed", "payload": repr(payload)}
            self.frames.append(frame if isinstance(frame, dict) else {"type": "unparsed", "payload": frame})

        socket.on("framereceived", received)


@dataclass
class Tab:
    page: Page
    watch: Watch
    context: BrowserContext


def open_tab(browser: Browser, viewport: dict[str, int] | None = None) -> Tab:
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 860}, locale="en-GB",
                                  reduced_motion="reduce")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(INSTRUMENT)
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    return Tab(page, watch, context)


def sign_in(page: Page, base_url: str, username: str, route: str = "#/chat") -> None:
    """The browser's whole flow: the app's sign-in screen, the identity provider's page, back with a code."""
    page.goto(f"{base_url}/{route}")
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/auth/oauth2/authorize\?"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-name")).to_have_text(username)
    expect(page).not_to_have_url(re.compile(r"[?&]code="))  # the code is gone from the address bar


def wait_connected(page: Page) -> None:
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "open")


def answer_states(page: Page, message_id: str) -> list[str]:
    states = page.evaluate("() => window.__e2eAnswerStates")
    return [state for mid, state in states if mid == message_id]


def answer_lengths(page: Page, message_id: str) -> list[int]:
    lengths = page.evaluate("() => window.__e2eAnswerLengths")
    return [n for mid, n in lengths if mid == message_id]


def api_call(page: Page, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """fetch() the API from the page with the signed-in user's own ID token, as the app does."""
    return page.evaluate(
        """async ([method, path, body]) => {
          const config = await (await fetch('/config.json')).json();
          const tokens = JSON.parse(sessionStorage.getItem('chatbot.tokens'));
          const response = await fetch(config.apiUrl + path, {
            method, headers: { Authorization: tokens.idToken, 'Content-Type': 'application/json' },
            body: body === null ? undefined : JSON.stringify(body),
          });
          return { status: response.status, body: await response.text() };
        }""",
        [method, path, body],
    )


class Screenshots:
    """Saved to reports/screenshots/ by every run; copied to docs/screenshots/ when UPDATE_SCREENSHOTS=1
    and every test passed."""

    def __init__(self) -> None:
        self.taken: list[Path] = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(self, page: Page, name: str, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        # The whole frame, top bar included; two frames later the scroll is painted.
        page.evaluate("""() => new Promise((done) => {
          window.scrollTo(0, 0);
          requestAnimationFrame(() => requestAnimationFrame(done));
        })""")
        page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
        assert path.stat().st_size > 1000, f"the screenshot {path} is empty"
        self.taken.append(path)
        return path

    def publish(self) -> list[Path]:
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copy2(path, DOC_SCREENSHOTS / path.name)) for path in self.taken]
