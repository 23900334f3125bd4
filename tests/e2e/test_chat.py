"""Scenario 1: sign in through the identity provider's page, create a chat, send a message and watch the
answer stream in (several WebSocket deltas, rendered piece by piece) until it is done and stored."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.browser import Screenshots, Tab, answer_lengths, answer_states, sign_in, wait_connected

# Holds the answers to GET /sessions/<id> (the chat view's load) while `window.__e2eHold.on`, until
# `release()`: the load then shows the session as it was when it was asked for. `done` counts the held
# loads handed back, one task after their body was read (so the view has rendered them by then).
HOLD_SESSION_LOADS = """
(() => {
  const hold = { on: false, done: 0, waiting: [] };
  hold.release = () => { hold.on = false; hold.waiting.splice(0).forEach((go) => go()); };
  Object.defineProperty(window, '__e2eHold', { value: hold });
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url;
    const held = hold.on && (init.method ?? 'GET') === 'GET' && /\\/sessions\\/[^/?]+$/.test(url);
    const response = await realFetch(input, init);
    if (!held) return response;
    await new Promise((go) => hold.waiting.push(go));
    const read = response.text.bind(response);
    response.text = () => read().then((text) => { setTimeout(() => { hold.done += 1; }, 0); return text; });
    return response;
  };
})();
"""


def test_sign_in_create_chat_and_see_the_streamed_answer(tab: Tab, base_url: str,
                                                         screenshots: Screenshots) -> None:
    page, watch = tab.page, tab.watch
    tab.context.add_init_script(HOLD_SESSION_LOADS)
    page.goto(f"{base_url}/")
    expect(page.get_by_test_id("signin-view")).to_be_visible()
    expect(page.get_by_test_id("mode-badge")).to_have_text("Local mode")
    expect(page.get_by_test_id("notice")).to_contain_text("Local mode")
    screenshots.take(page, "sign-in")
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/auth/oauth2/authorize\?"))
    expect(page.get_by_label("User name")).to_be_visible()
    screenshots.take(page, "sign-in-local-identity-provider")

    sign_in(page, base_url, "user")
    expect(page.get_by_test_id("admin-link")).to_be_hidden()
    wait_connected(page)

    page.get_by_test_id("new-chat").click()
    page.wait_for_url(re.compile(r"#/chat/[0-9a-f]+$"))
    session_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("chat-view")).to_have_attribute("data-session-id", session_id)
    chat = page.locator(f'[data-testid="session-item"][data-session-id="{session_id}"]')
    expect(chat).to_have_text("New chat")
    expect(page.get_by_test_id("chat-title")).to_have_text("New chat")  # loaded: the view is ready
    expect(page.get_by_test_id("empty-chat")).to_be_visible()

    question = "What can you tell me about bees?"
    page.get_by_test_id("message-input").fill(question)
    page.get_by_test_id("send-button").click()
    answer = page.get_by_test_id("answer")
    expect(answer).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("question").locator(".message-text")).to_have_text(question)
    expect(page.get_by_test_id("question")).to_have_attribute("data-state", "sent")
    message_id = answer.get_attribute("data-message-id")
    assert message_id

    # Streamed: many delta frames on the WebSocket, the answer in "streaming" before "done", and its body
    # rendered with part of the text before the whole of it.
    deltas = watch.deltas(message_id)
    assert len(deltas) > 1, f"the answer came in {len(deltas)} delta frame(s): {watch.frames}"
    text = "".join(deltas)
    states = answer_states(page, message_id)
    assert "streaming" in states and states.index("streaming") < states.index("done"), states
    final = len(answer.get_by_test_id("answer-body").text_content() or "")
    partial = [n for n in answer_lengths(page, message_id) if 0 < n < final]
    assert partial, "the answer was never shown partly rendered"
    expect(answer.get_by_test_id("answer-body")).to_have_text(text.strip())
    assert text.startswith("Local mode (no language model):"), text
    expect(answer.get_by_test_id("answer-model")).to_have_text("Model: local.extractive")
    expect(answer).to_have_attribute("aria-busy", "false")

    # Named after the first question, and stored: a reload shows the same conversation.
    expect(chat).to_have_text(question)
    expect(page.get_by_test_id("chat-title")).to_have_text(question)
    expect(page.get_by_test_id("usage-messages")).to_have_attribute("data-used", re.compile(r"[1-9]\d*"))
    screenshots.take(page, "chat-streamed-answer")
    page.reload()
    expect(page.get_by_test_id("answer")).to_have_attribute("data-message-id", message_id)
    expect(page.get_by_test_id("answer-body")).to_have_text(text.strip())
    expect(page.get_by_test_id("question").locator(".message-text")).to_have_text(question)

    # A question sent right after "New chat", before the chat has loaded: the load, which answers with
    # the chat as it was before the question, keeps the question and its answer on screen.
    page.evaluate("() => { window.__e2eHold.on = true; }")
    page.get_by_test_id("new-chat").click()
    page.wait_for_url(re.compile(rf"#/chat/(?!{session_id})[0-9a-f]+$"))
    expect(page.get_by_test_id("chat-title")).to_have_text("Loading…")
    second = "And what about wasps?"
    page.get_by_test_id("message-input").fill(second)
    page.get_by_test_id("send-button").click()
    expect(page.get_by_test_id("answer")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("chat-title")).to_have_text(second)
    page.evaluate("() => window.__e2eHold.release()")
    page.wait_for_function("() => window.__e2eHold.done >= 1")
    expect(page.get_by_test_id("question")).to_have_count(1)
    expect(page.get_by_test_id("question").locator(".message-text")).to_have_text(second)
    expect(page.get_by_test_id("question")).to_have_attribute("data-state", "sent")
    expect(page.get_by_test_id("answer")).to_have_count(1)
    expect(page.get_by_test_id("answer")).to_have_attribute("data-state", "done")
    expect(page.get_by_test_id("chat-title")).to_have_text(second)  # not the load's older "New chat"
