// The chat: the session's messages, the pickers and the composer. A question goes to
// POST /sessions/{id}/messages (202 {messageId}); its answer arrives as WebSocket frames, which
// AnswerStreams collects app-wide and this view renders while it is on screen.

import { el } from '../dom.js';
import { titleFrom } from '../format.js';
import { href } from '../router.js';
import { AnswerView, questionElement } from './answer.js';
import { inlineError, notFound } from './common.js';
import { modelPicker, workspacePicker } from './pickers.js';

const NO_ANSWER_MS = 90_000; // no `start` frame after this long: tell the user, stop waiting
const DEFAULT_TITLE = 'New chat';

export function mountChat(ctx, route) {
  const { api, shell, streams, sessions } = ctx;
  const state = {
    sessionId: route.sessionId, session: null, waiting: null, sending: false, stallTimer: null, alive: true,
    asked: new Set(), // answers to questions typed in this view (their question is on screen)
    // Exchanges typed in this view and not seen stored yet ({question, messageId}): a load keeps them.
    local: [],
    loaded: false, // a load has rendered: a later failed one keeps the screen
    loads: 0, // only the latest load renders (loads can overlap: mount, answers from elsewhere, stalls)
    shown: 0, // counts showSession calls: a load does not undo a newer one (a rename, a workspace)
  };
  const answers = new Map(); // messageId -> AnswerView

  const title = el('h1', { class: 'page-title chat-title', id: 'chat-title', dataset: { testid: 'chat-title' } },
    route.sessionId ? 'Loading…' : DEFAULT_TITLE);
  const models = modelPicker(ctx);
  const workspaces = workspacePicker(ctx, { onChange: bindWorkspace });
  const messages = el('div', { class: 'messages', id: 'messages', role: 'region', 'aria-label': 'Conversation', dataset: { testid: 'messages' } });
  const empty = el('p', { class: 'empty-chat', dataset: { testid: 'empty-chat' } },
    'Ask a question to start. Pick a workspace to answer from its documents.');
  const input = el('textarea', {
    // No maxlength: the limit is the stack's MAX_MESSAGE_CHARS, and the API's 413 names it.
    id: 'message-input', class: 'message-input', rows: 3, required: true,
    placeholder: 'Ask a question…', 'aria-describedby': 'composer-hint', dataset: { testid: 'message-input' },
  });
  const send = el('button', { type: 'submit', class: 'button primary', dataset: { testid: 'send-button' } }, 'Send');
  const form = el('form', { class: 'composer', dataset: { testid: 'composer' }, on: { submit: onSubmit } },
    el('label', { for: input.id, class: 'visually-hidden' }, 'Your message'), input, send,
    el('p', { class: 'hint', id: 'composer-hint' }, 'Enter sends, Shift+Enter starts a new line.'));
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey
        && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  const section = el('section', { class: 'chat-view', dataset: { testid: 'chat-view', sessionId: route.sessionId ?? '' } },
    el('header', { class: 'chat-header' }, title, el('div', { class: 'pickers' }, models.element, workspaces.element)),
    messages, form);
  shell.render(section);
  messages.append(empty);

  const unsubscribe = streams.subscribe(onStream);
  // A rename in the sidebar shows here too.
  const offSessions = sessions.on('change', () => {
    const listed = state.sessionId && sessions.get(state.sessionId);
    if (listed && state.session && listed.title !== state.session.title) {
      state.session = { ...state.session, title: listed.title };
      title.textContent = listed.title;
    }
  });
  if (state.sessionId) load({ focus: true });
  else input.focus();

  async function load({ focus = false } = {}) {
    state.loads += 1;
    const ticket = state.loads;
    const shown = state.shown;
    let detail;
    try {
      detail = await api.getSession(state.sessionId);
    } catch (error) {
      if (!state.alive || ticket !== state.loads) return;
      if (error.status === 404) shell.render(notFound('This chat does not exist or was deleted.'));
      else if (state.loaded || state.local.length || answers.size) {
        shell.showError(error, 'Could not reload the chat'); // keep what is on screen
      } else messages.replaceChildren(inlineError(error));
      return;
    }
    if (!state.alive || ticket !== state.loads) return;
    state.loaded = true;
    if (state.shown === shown) showSession(detail.session);
    const stored = new Set(detail.messages.map((message) => message.messageId));
    // Questions typed here after the load was asked for are not in it: they (and their answers) stay.
    state.local = state.local.filter((entry) => !entry.messageId || !stored.has(entry.messageId));
    const previous = new Map(answers);
    messages.replaceChildren();
    answers.clear();
    for (const message of detail.messages) {
      if (message.role === 'user') {
        messages.append(questionElement(message.text, message.messageId));
      } else {
        const view = addAnswer(message.messageId);
        view.setModel(message.modelId);
        if (message.sources) view.setSources(message.sources);
        view.finish(message.text, message.feedback);
      }
    }
    for (const entry of state.local) {
      messages.append(entry.question);
      const stream = entry.messageId ? streams.get(entry.messageId) : null;
      if (stream && isLive(stream)) replay(stream);
      else if (previous.has(entry.messageId)) attachAnswer(previous.get(entry.messageId)); // over, not stored
    }
    // Answers still streaming (asked here, or in another tab) continue below the stored ones.
    for (const stream of streams.forSession(state.sessionId)) {
      if (!stored.has(stream.messageId) && !answers.has(stream.messageId) && isLive(stream)) replay(stream);
    }
    if (state.waiting && stored.has(state.waiting)) setWaiting(null); // stored: its end frame was missed
    if (!messages.childElementCount) messages.append(empty);
    scrollToEnd();
    if (focus) input.focus();
  }

  function showSession(session) {
    state.shown += 1;
    state.session = session;
    title.textContent = session.title;
    workspaces.set(session.workspaceId ?? null);
  }

  function addAnswer(messageId) {
    return attachAnswer(new AnswerView({ sessionId: state.sessionId, messageId, api, shell }));
  }

  function attachAnswer(view) {
    answers.set(view.messageId, view);
    empty.remove();
    messages.append(view.element);
    return view;
  }

  function isLive(stream) {
    return stream.state === 'pending' || stream.state === 'streaming';
  }

  function replay(stream) {
    const view = answers.get(stream.messageId) ?? addAnswer(stream.messageId);
    if (stream.modelId) view.setModel(stream.modelId);
    if (stream.sources) view.setSources(stream.sources);
    if (stream.text) view.setText(stream.text);
    if (isLive(stream)) setWaiting(stream.messageId);
    return view;
  }

  function onStream(stream, type) {
    if (!state.alive || stream.sessionId !== state.sessionId) return;
    const known = answers.has(stream.messageId);
    const view = known ? answers.get(stream.messageId) : replay(stream);
    if (type === 'start') view.setModel(stream.modelId);
    else if (type === 'sources') view.setSources(stream.sources);
    else if (type === 'delta') view.setText(stream.text);
    else if (type === 'end') {
      view.finish(stream.text);
      done(stream, 'The answer is complete.');
      // Asked elsewhere (another tab, or before this view was mounted): reload to show its question.
      if (!state.asked.has(stream.messageId)) load();
    } else if (type === 'error') {
      view.fail(stream.error);
      done(stream, `The answer failed: ${stream.error.message}`);
    }
    if (type !== 'delta' || isNearEnd()) scrollToEnd();
  }

  function done(stream, announcement) {
    if (state.waiting === stream.messageId) setWaiting(null);
    shell.announce(announcement);
    ctx.usage.refresh();
    sessions.refresh();
  }

  function setWaiting(messageId) {
    state.waiting = messageId;
    clearTimeout(state.stallTimer);
    send.disabled = Boolean(messageId);
    form.setAttribute('aria-busy', String(Boolean(messageId)));
    if (!messageId) return;
    state.stallTimer = setTimeout(() => {
      const stream = streams.get(messageId);
      if (!state.alive || !stream || stream.state !== 'pending') return;
      answers.get(messageId)?.stalled(() => load());
      setWaiting(null);
    }, NO_ANSWER_MS);
  }

  async function onSubmit(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || state.waiting || state.sending) return;
    state.sending = true;
    send.disabled = true;
    let question = null;
    try {
      // Frames go only to live connections: be connected before asking.
      await ctx.ws.ready();
      if (!state.sessionId) await createSession(text);
      question = questionElement(text);
      question.dataset.state = 'sending';
      const entry = { question, messageId: null };
      state.local.push(entry);
      empty.remove();
      messages.append(question);
      scrollToEnd();
      const { messageId } = await api.sendMessage(state.sessionId, text, models.value());
      entry.messageId = messageId;
      question.dataset.state = 'sent';
      input.value = '';
      state.asked.add(messageId);
      const stream = streams.expect(state.sessionId, messageId);
      if (!answers.has(messageId)) addAnswer(messageId);
      // Frames can beat the 202: wait only if the answer is not already over.
      if (isLive(stream)) setWaiting(messageId);
      scrollToEnd();
      nameAfterFirstQuestion(text);
    } catch (error) {
      if (question) {
        question.dataset.state = 'failed';
        question.append(el('p', { class: 'inline-error', dataset: { testid: 'question-error' } },
          `Not sent: ${error.message}`));
      }
      shell.showError(error, 'Your message was not sent');
      if (error.status === 429) ctx.usage.refresh();
      send.disabled = Boolean(state.waiting);
    } finally {
      state.sending = false;
    }
  }

  async function createSession(text) {
    const session = await api.createSession(titleFrom(text), workspaces.value());
    state.sessionId = session.sessionId;
    section.dataset.sessionId = session.sessionId;
    // The URL follows without a hashchange, so this view (and its pending answer) stays mounted.
    history.replaceState(null, '', href.chat(session.sessionId));
    showSession(session);
    sessions.upsert(session);
  }

  function nameAfterFirstQuestion(text) {
    const session = sessions.get(state.sessionId) ?? state.session; // the list has any rename
    if (!session || session.title !== DEFAULT_TITLE || session.messageCount) return;
    api.updateSession(session.sessionId, { title: titleFrom(text) })
      .then((updated) => {
        if (state.alive && state.sessionId === updated.sessionId) showSession(updated);
        sessions.replace(updated);
      })
      .catch((error) => shell.showError(error, 'Could not name the chat'));
  }

  async function bindWorkspace(workspaceId) {
    if (!state.sessionId) return; // a new chat is created with the picked workspace
    const updated = await api.updateSession(state.sessionId, { workspaceId });
    showSession(updated);
    sessions.replace(updated);
  }

  function isNearEnd() {
    const scroller = document.scrollingElement;
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 200;
  }

  function scrollToEnd() {
    const scroller = document.scrollingElement;
    scroller.scrollTop = scroller.scrollHeight;
  }

  return () => {
    state.alive = false;
    clearTimeout(state.stallTimer);
    unsubscribe();
    offSessions();
  };
}
