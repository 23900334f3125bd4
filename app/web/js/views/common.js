// Pieces several views share: a page section, "not allowed", "not found", field helpers, a data table.

import { el } from '../dom.js';
import { errorText } from '../format.js';
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

/** A checkbox with its label after it: <div class="field checkbox">control<label for=id>text</label></div>. */
export function checkboxField(label, control) {
  return el('div', { class: 'field checkbox' }, control, el('label', { for: control.id }, label));
}

export function inlineError(error) {
  return el('p', { class: 'inline-error', role: 'alert', dataset: { testid: 'inline-error' } }, errorText(error));
}

/** A data table with a screen-reader caption, one column heading per name and the given body rows. */
export function dataTable(caption, headings, rows) {
  return el('table', { class: 'data-table' },
    el('caption', { class: 'visually-hidden' }, caption),
    el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...rows));
}
