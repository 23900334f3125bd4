// The signed-out screen: one button that starts the hosted sign-in (MFA is the hosted UI's business).

import { el } from '../dom.js';

export function renderSignIn(shell, auth, reason = '') {
  const button = el('button', {
    type: 'button', class: 'button primary', dataset: { testid: 'sign-in' },
    on: {
      click: async () => {
        button.disabled = true;
        try {
          await auth.signIn(location.hash.startsWith('#/') ? location.hash : '');
        } catch (error) {
          button.disabled = false;
          shell.showError(error, 'Could not start the sign-in');
        }
      },
    },
  }, 'Sign in');
  shell.render(el('section', { class: 'page signin', dataset: { testid: 'signin-view' } },
    el('h1', { class: 'page-title' }, 'Welcome'),
    el('p', {}, 'Sign in to chat with the assistant and your documents.'),
    reason ? el('p', { class: 'inline-error', role: 'alert', dataset: { testid: 'signin-reason' } }, reason) : null,
    button));
}
