// The chat list in the sidebar: new chat, select, rename (inline, Enter saves, Escape cancels) and
// delete (after a confirmation). SessionStore holds the list so the chat view can update it too.

import { clear, el } from '../dom.js';
import { Emitter } from '../events.js';
import { icon } from '../icons.js';
import { href, parseRoute } from '../router.js';

export class SessionStore extends Emitter {
  constructor(api, shell) {
    super();
    this.api = api;
    this.shell = shell;
    this.items = [];
    this.loaded = false;
  }

  async refresh() {
    try {
      this.items = await this.api.listSessions();
      this.loaded = true;
      this.emit('change');
    } catch (error) {
      this.shell.showError(error, 'Could not load your chats');
    }
  }

  get(id) {
    return this.items.find((s) => s.sessionId === id) ?? null;
  }

  upsert(session) {
    this.items = [session, ...this.items.filter((s) => s.sessionId !== session.sessionId)];
    this.emit('change');
  }

  /** Update a session where it is (a rename keeps its place in the list). */
  replace(session) {
    this.items = this.items.map((s) => (s.sessionId === session.sessionId ? session : s));
    this.emit('change');
  }

  remove(id) {
    this.items = this.items.filter((s) => s.sessionId !== id);
    this.emit('change');
  }
}

export function mountSessionList(ctx) {
  const { shell, sessions, api } = ctx;
  const list = el('ul', { class: 'session-list', id: 'session-list', dataset: { testid: 'session-list' } });
  let renaming = null;

  const newChat = el('button', {
    type: 'button', class: 'button primary new-chat', dataset: { testid: 'new-chat' },
    on: {
      click: async () => {
        newChat.disabled = true;
        try {
          const session = await api.createSession('New chat');
          sessions.upsert(session);
          location.hash = href.chat(session.sessionId);
          shell.closeSidebarIfNarrow();
        } catch (error) {
          shell.showError(error, 'Could not create a chat');
        } finally {
          newChat.disabled = false;
        }
      },
    },
  }, '+ New chat');

  clear(shell.sidebar);
  shell.sidebar.append(
    el('div', { class: 'sidebar-head' }, newChat),
    el('h2', { class: 'sidebar-title', id: 'session-list-title' }, 'Your chats'),
    el('nav', { 'aria-labelledby': 'session-list-title' }, list),
  );

  const activeId = () => {
    const route = parseRoute(location.hash);
    return route?.name === 'chat' ? route.sessionId : null;
  };

  function render() {
    clear(list);
    if (sessions.loaded && sessions.items.length === 0) {
      list.append(el('li', { class: 'session-empty', dataset: { testid: 'session-empty' } }, 'No chats yet.'));
    }
    const active = activeId();
    for (const session of sessions.items) {
      list.append(session.sessionId === renaming ? renameItem(session) : item(session, session.sessionId === active));
    }
  }

  function item(session, active) {
    const title = session.title || 'Untitled chat';
    return el('li', { class: ['session-item', active ? 'active' : ''], dataset: { testid: 'session-item', sessionId: session.sessionId } },
      el('a', {
        class: 'session-link', href: href.chat(session.sessionId), 'aria-current': active ? 'page' : null,
        dataset: { testid: 'session-link' }, on: { click: () => shell.closeSidebarIfNarrow() },
      }, el('span', { class: 'session-title' }, title)),
      el('span', { class: 'session-actions' },
        el('button', {
          type: 'button', class: 'icon-button', 'aria-label': `Rename chat “${title}”`, title: 'Rename',
          dataset: { testid: 'rename-session' }, on: { click: () => { renaming = session.sessionId; render(); } },
        }, icon('pencil')),
        el('button', {
          type: 'button', class: 'icon-button danger', 'aria-label': `Delete chat “${title}”`, title: 'Delete',
          dataset: { testid: 'delete-session' }, on: { click: () => remove(session) },
        }, icon('trash'))));
  }

  function renameItem(session) {
    const input = el('input', {
      type: 'text', id: 'rename-input', class: 'rename-input', value: session.title, maxlength: 200, required: true,
      'aria-label': 'New chat name', dataset: { testid: 'rename-input' },
    });
    const cancel = () => {
      renaming = null;
      render();
      list.querySelector(`[data-session-id="${session.sessionId}"] [data-testid="rename-session"]`)?.focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        cancel();
      }
    });
    const form = el('form', {
      class: 'rename-form', dataset: { testid: 'rename-form' },
      on: {
        submit: async (event) => {
          event.preventDefault();
          const title = input.value.trim();
          if (!title) return;
          if (title === session.title) return cancel();
          input.disabled = true;
          try {
            const updated = await api.updateSession(session.sessionId, { title });
            renaming = null;
            sessions.replace(updated);
            shell.announce(`Chat renamed to ${updated.title}`);
          } catch (error) {
            input.disabled = false;
            shell.showError(error, 'Could not rename the chat');
          }
        },
      },
    },
    input,
    el('button', { type: 'submit', class: 'button small', dataset: { testid: 'rename-save' } }, 'Save'),
    el('button', { type: 'button', class: 'button small secondary', on: { click: cancel } }, 'Cancel'));
    queueMicrotask(() => {
      input.focus();
      input.select();
    });
    return el('li', { class: 'session-item renaming', dataset: { testid: 'session-item', sessionId: session.sessionId } }, form);
  }

  async function remove(session) {
    const ok = await shell.confirm(`Delete the chat “${session.title}” and all its messages? This cannot be undone.`);
    if (!ok) return;
    try {
      await api.deleteSession(session.sessionId);
      sessions.remove(session.sessionId);
      shell.announce('Chat deleted');
      if (activeId() === session.sessionId) location.hash = href.chat(null);
    } catch (error) {
      shell.showError(error, 'Could not delete the chat');
    }
  }

  sessions.on('change', render);
  window.addEventListener('hashchange', render);
  render();
  sessions.refresh();
}
