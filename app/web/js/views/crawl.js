// The documents page's "Crawl a website" form (managers, writable workspaces, a stack with crawling): the
// rules are in crawl_form.js; this builds the labelled controls, posts the crawl and says what happened.

import { crawlHint, crawlKinds, crawlRequest, CRAWL_STARTED } from '../crawl_form.js';
import { el } from '../dom.js';
import { errorText } from '../format.js';
import { checkboxField, field } from './common.js';

/** A hidden form; `offer(crawling)` fills it from the stack's options and shows it. */
export function crawlPanel(api, workspaceId, onStarted) {
  const url = el('input', {
    id: 'crawl-url', type: 'url', required: true, maxlength: 2000, placeholder: 'https://',
    autocomplete: 'url', spellcheck: 'false', dataset: { testid: 'crawl-url' },
  });
  const kind = el('select', { id: 'crawl-kind', dataset: { testid: 'crawl-kind' } });
  const maxPages = el('input', { id: 'crawl-max-pages', type: 'number', min: 1, step: 1, required: true, dataset: { testid: 'crawl-max-pages' } });
  const follow = el('input', { id: 'crawl-follow', type: 'checkbox', checked: true, dataset: { testid: 'crawl-follow' } });
  const urlField = field('Start address', url);
  const pagesField = field('Most pages', maxPages);
  const submit = el('button', { type: 'submit', class: 'button primary', dataset: { testid: 'start-crawl' } }, 'Start crawl');
  const status = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite', dataset: { testid: 'crawl-status' } });
  const form = el('form', {
    class: 'panel form-grid', hidden: true, novalidate: true, 'aria-labelledby': 'crawl-form-title',
    dataset: { testid: 'crawl-form' },
  },
  el('h2', { id: 'crawl-form-title' }, 'Crawl a website'),
  urlField, field('What the address is', kind), pagesField,
  checkboxField('Follow links to other pages of the site', follow),
  el('div', { class: 'actions' }, submit), status);
  let crawling = null;

  function say(text, state) {
    status.textContent = text;
    status.classList.toggle('inline-error', state === 'error');
    status.dataset.state = state;
  }

  // The form's own checks (crawl_form.js) speak in the status line, like the API's refusals: one place to
  // read, announced by the live region. novalidate keeps the browser's bubbles from pre-empting them.
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!crawling || submit.disabled) return;
    const { body, error } = crawlRequest({
      url: url.value, kind: kind.value, maxPages: maxPages.value, followLinks: follow.checked,
    }, crawling);
    if (error) {
      say(error, 'error');
      return;
    }
    submit.disabled = true;
    say('Starting the crawl…', 'starting');
    try {
      await api.startCrawl(workspaceId, body);
      say(CRAWL_STARTED, 'started');
      onStarted();
    } catch (failure) {
      say(errorText(failure), 'error');
    } finally {
      submit.disabled = false;
    }
  });

  return {
    node: form,
    offer(next) {
      crawling = next;
      kind.replaceChildren(...crawlKinds(crawling).map((k) => el('option', { value: k.value }, k.label)));
      maxPages.max = String(crawling.maxPages);
      maxPages.value = String(crawling.maxPages);
      const hint = urlField.querySelector('.hint') ?? el('p', { class: 'hint', id: 'crawl-url-hint' });
      hint.textContent = crawlHint(crawling);
      urlField.append(hint);
      url.setAttribute('aria-describedby', hint.id);
      const cap = pagesField.querySelector('.hint') ?? el('p', { class: 'hint', id: 'crawl-max-pages-hint' });
      cap.textContent = `At most ${crawling.maxPages} on this stack.`;
      pagesField.append(cap);
      maxPages.setAttribute('aria-describedby', cap.id);
      form.hidden = false;
    },
  };
}
