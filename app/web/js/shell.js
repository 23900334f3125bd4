// The page frame around the views: mode badge and notice, navigation by role, the error banner, the
// screen-reader status line, the confirmation dialog and the collapsible chat list on small screens.

import { modeLabel } from './config.js';
import { append, clear, el } from './dom.js';
import { errorText } from './format.js';

const MAX_ERRORS = 4;
const NARROW = '(max-width: 800px)';

export class Shell {
  constructor(doc = document) {
    const $ = (id) => doc.getElementById(id);
    this.doc = doc;
    this.main = $('main');
    this.sidebar = $('sidebar');
    this.errors = $('errors');
    this.notice = $('notice');
    this.live = $('live-status');
    this.menu = $('menu-toggle');
    this.nav = $('main-nav');
    this.usage = $('usage');
    this.account = $('account');
    this.connection = $('connection');
    this.dialog = $('confirm-dialog');
    this.$ = $;
    $('skip-link').addEventListener('click', (event) => {
      event.preventDefault(); // "#main" is not a route: focus the content without touching the hash
      this.main.focus();
    });
    this.menu.addEventListener('click', () => this.toggleSidebar());
    doc.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.sidebar.classList.contains('open')) {
        this.toggleSidebar(false);
        this.menu.focus();
      }
    });
  }

  setMode(config) {
    const badge = this.$('mode-badge');
    badge.textContent = modeLabel(config);
    badge.dataset.mode = config.mode;
    if (config.notice) {
      this.notice.textContent = config.notice;
      this.notice.hidden = false;
    }
  }

  /** Show the signed-in frame: user name, sign-out, the links this user's groups may use. */
  showSignedIn(user, onSignOut) {
    this.$('user-name').textContent = user.name;
    this.account.hidden = false;
    this.nav.hidden = false;
    this.usage.hidden = false;
    this.sidebar.hidden = false;
    this.menu.hidden = false;
    this.$('nav-workspaces').hidden = !user.isManager;
    this.$('nav-admin').hidden = !user.isAdmin;
    this.$('sign-out').onclick = onSignOut; // one handler, even after signing in again
    this.doc.body.classList.add('signed-in');
  }

  /** Back to the signed-out frame (the tokens are gone). */
  showSignedOut() {
    for (const node of [this.account, this.nav, this.usage, this.sidebar, this.menu]) node.hidden = true;
    this.toggleSidebar(false);
    this.doc.body.classList.remove('signed-in');
  }

  /** Mark the navigation link of the current page. */
  setActiveNav(name) {
    const current = { chat: 'nav-chat', workspaces: 'nav-workspaces', workspace: 'nav-workspaces', admin: 'nav-admin' };
    for (const link of this.nav.querySelectorAll('a')) {
      if (link.id === current[name]) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  setConnection(state) {
    this.connection.dataset.state = state;
    const labels = { open: 'Live', connecting: 'Connecting…', closed: 'Reconnecting…', idle: 'Offline' };
    this.connection.textContent = labels[state] ?? state;
  }

  /** Show an error with the API's own message (and code/status when there is one). */
  showError(error, context = '') {
    const message = errorText(error);
    const details = [error?.code, error?.status ? `HTTP ${error.status}` : ''].filter(Boolean).join(', ');
    const item = el('div', { class: 'error-item', dataset: { testid: 'error-message', code: error?.code ?? '' } },
      el('span', { class: 'error-text' }, context ? `${context}: ${message}` : message),
      details ? el('span', { class: 'error-code' }, ` (${details})`) : null,
      el('button', {
        type: 'button', class: 'icon-button', 'aria-label': 'Dismiss this error', dataset: { testid: 'dismiss-error' },
        on: { click: () => { item.remove(); this.errors.hidden = !this.errors.firstChild; } },
      }, '×'));
    this.errors.append(item);
    while (this.errors.childElementCount > MAX_ERRORS) this.errors.firstElementChild.remove();
    this.errors.hidden = false;
    if (!(error instanceof Error) || error.name === 'Error') console.error(context, error);
  }

  clearErrors() {
    clear(this.errors);
    this.errors.hidden = true;
  }

  /** Announce a short text to screen readers (the live status region). */
  announce(text) {
    this.live.textContent = '';
    // A new text node on the next frame makes screen readers announce a repeated message too.
    requestAnimationFrame(() => { this.live.textContent = text; });
  }

  /** A modal yes/no question (the native <dialog>: focus trapped, Escape cancels). */
  confirm(text, actionLabel = 'Delete') {
    const dialog = this.dialog;
    this.$('confirm-text').textContent = text;
    this.$('confirm-ok').textContent = actionLabel;
    const opener = this.doc.activeElement;
    return new Promise((resolve) => {
      const done = (answer) => {
        ok.removeEventListener('click', yes);
        cancel.removeEventListener('click', no);
        dialog.removeEventListener('cancel', no);
        if (dialog.open) dialog.close();
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
        resolve(answer);
      };
      const ok = this.$('confirm-ok');
      const cancel = this.$('confirm-cancel');
      const yes = () => done(true);
      const no = (event) => {
        event?.preventDefault?.();
        done(false);
      };
      ok.addEventListener('click', yes);
      cancel.addEventListener('click', no);
      dialog.addEventListener('cancel', no);
      dialog.showModal();
      cancel.focus();
    });
  }

  toggleSidebar(force) {
    const open = force ?? !this.sidebar.classList.contains('open');
    this.sidebar.classList.toggle('open', open);
    this.menu.setAttribute('aria-expanded', String(open));
  }

  /** On a narrow screen the chat list is an overlay: close it after a choice. */
  closeSidebarIfNarrow() {
    if (window.matchMedia(NARROW).matches) this.toggleSidebar(false);
  }

  /** Replace the main view's content. */
  render(...children) {
    clear(this.main);
    append(this.main, children);
  }

  fatal(message) {
    this.render(el('section', { class: 'panel fatal', dataset: { testid: 'fatal-error' } },
      el('h1', {}, 'The chatbot cannot start'),
      el('p', { role: 'alert' }, message)));
  }
}
