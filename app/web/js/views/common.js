// Pieces several views share: a page section, "not allowed", "not found", field helpers.

import { el } from '../dom.js';
import { href } from '../router.js';

export function page(testid, title, ...children) {
  return el('section', { class: 'page', dataset: { testid } },
    el('h1', { class: 'page-title', id: `${testid}-title` }, title),
    ...children);
}

/** What a user outside the required group sees: a plain statement and no form (the API refuses too). */
export function notAllowed(what) {
  return el('section', { class: 'page', dataset: { testid: 'not-allowed' } },
    el('h1', { class: 'page-title' }, 'Not allowed'),
    el('p', { class: 'not-allowed' }, `You are not allowed to ${what}. Ask an administrator if you need access.`),
    el('p', {}, el('a', { href: href.chat(null) }, 'Back to chat')));
}

export function notFound(text = 'There is nothing at this address.') {
  return el('section', { class: 'page', dataset: { testid: 'not-found' } },
    el('h1', { class: 'page-title' }, 'Not found'),
    el('p', {}, text),
    el('p', {}, el('a', { href: href.chat(null) }, 'Back to chat')));
}

/** A labelled form control: <div class="field"><label for=id>text</label>control hint</div>. */
export function field(label, control, hint = '') {
  const hintNode = hint ? el('p', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute('aria-describedby', hintNode.id);
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control, hintNode);
}

export function inlineError(error) {
  return el('p', { class: 'inline-error', role: 'alert', dataset: { testid: 'inline-error' } },
    error?.message ? String(error.message) : String(error));
}
