// One question or answer in the conversation. Questions are plain text; answers are Markdown rendered
// by render_markdown.js (text nodes only), with their sources, [n] citations linked to them, the model,
// a streaming state for assistive technology (aria-live, aria-busy) and thumbs up/down feedback.

import { el } from '../dom.js';
import { locationLabel } from '../format.js';
import { icon } from '../icons.js';
import { renderMarkdown } from '../render_markdown.js';

const RENDER_EVERY_MS = 40; // coalesce deltas: re-render at most 25 times a second

export function questionElement(text, messageId = null) {
  return el('article', { class: 'message question', dataset: { testid: 'question', messageId: messageId ?? undefined } },
    el('h2', { class: 'visually-hidden' }, 'You asked'),
    el('div', { class: 'message-text' }, text));
}

export class AnswerView {
  constructor({ sessionId, messageId, api, shell }) {
    this.sessionId = sessionId;
    this.messageId = messageId;
    this.api = api;
    this.shell = shell;
    this.text = '';
    this.sources = [];
    this.timer = null;
    this.body = el('div', { class: 'answer-body markdown', dataset: { testid: 'answer-body' } });
    this.meta = el('p', { class: 'answer-meta', dataset: { testid: 'answer-model' } });
    this.sourcesNode = el('section', { class: 'sources', dataset: { testid: 'sources' }, hidden: true });
    this.status = el('p', { class: 'answer-status', dataset: { testid: 'answer-status' } }, 'Waiting for the answer…');
    this.feedback = el('div', { class: 'feedback', dataset: { testid: 'feedback' }, hidden: true });
    this.element = el('article', {
      class: 'message answer', 'aria-live': 'polite', 'aria-busy': 'true',
      dataset: { testid: 'answer', messageId, state: 'pending' },
    }, el('h2', { class: 'visually-hidden' }, 'Answer'), this.meta, this.body, this.status, this.sourcesNode,
    this.feedback);
  }

  setModel(modelId) {
    this.meta.textContent = modelId ? `Model: ${modelId}` : '';
  }

  setSources(sources) {
    this.sources = Array.isArray(sources) ? sources : [];
    const list = el('ol', { class: 'source-list' });
    for (const source of this.sources) list.append(this.#sourceItem(source));
    this.sourcesNode.replaceChildren(
      el('h3', { class: 'sources-title' }, this.sources.length ? 'Sources' : 'Sources: no passage matched'),
      list);
    this.sourcesNode.hidden = false;
    this.#render();
  }

  /** The text so far while streaming (rendered a little later, coalesced). */
  setText(text) {
    this.text = text;
    this.element.dataset.state = 'streaming';
    this.status.textContent = 'Answering…';
    if (!this.timer) this.timer = setTimeout(() => this.#render(), RENDER_EVERY_MS);
  }

  finish(text = this.text, feedback = null) {
    this.text = text;
    this.#render();
    this.element.dataset.state = 'done';
    this.element.setAttribute('aria-busy', 'false');
    this.status.textContent = '';
    this.status.hidden = true;
    this.#renderFeedback(feedback);
  }

  fail(error) {
    this.#render();
    this.element.dataset.state = 'error';
    this.element.setAttribute('aria-busy', 'false');
    this.status.hidden = false;
    this.status.className = 'answer-status inline-error';
    this.status.setAttribute('role', 'alert');
    this.status.dataset.testid = 'answer-error';
    this.status.dataset.code = error.code;
    this.status.textContent = `The answer failed: ${error.message} (${error.code})`;
  }

  /** Nothing came back in time (for example no live connection): say so and offer a reload. */
  stalled(onReload) {
    this.status.textContent = 'No answer has arrived yet. It is stored when it completes; ';
    this.status.append(el('button', {
      type: 'button', class: 'link-button', dataset: { testid: 'reload-chat' }, on: { click: onReload },
    }, 'reload the chat'));
  }

  #render() {
    clearTimeout(this.timer);
    this.timer = null;
    const cite = this.sources.length ? (n) => this.#citation(n) : null;
    this.body.replaceChildren(renderMarkdown(this.text, { cite }));
  }

  #sourceId(n) {
    return `source-${this.messageId}-${n}`;
  }

  #citation(n) {
    const source = this.sources.find((s) => s.n === n);
    if (!source) return null;
    return el('a', {
      class: 'citation', href: `#${this.#sourceId(n)}`, 'aria-label': `Source ${n}: ${source.fileName}`,
      dataset: { testid: 'citation', n },
      on: {
        click: (event) => {
          event.preventDefault(); // an in-page anchor, not a route: scroll and focus without the hash
          const target = document.getElementById(this.#sourceId(n));
          if (!target) return;
          target.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
          target.focus();
          target.classList.add('flash');
          setTimeout(() => target.classList.remove('flash'), 1500);
        },
      },
    }, `[${n}]`);
  }

  #sourceItem(source) {
    const where = locationLabel(source.location);
    return el('li', { class: 'source', id: this.#sourceId(source.n), tabindex: -1, dataset: { testid: 'source', n: source.n } },
      el('span', { class: 'source-n' }, `[${source.n}]`), ' ',
      el('span', { class: 'source-file', dataset: { testid: 'source-file' } }, source.fileName || '(deleted document)'),
      where ? el('span', { class: 'source-location', dataset: { testid: 'source-location' } }, ` — ${where}`) : null,
      typeof source.score === 'number'
        ? el('span', { class: 'source-score', title: 'Relevance score' }, ` (${source.score.toFixed(2)})`) : null,
      el('blockquote', { class: 'source-snippet', dataset: { testid: 'source-snippet' } }, source.snippet ?? ''));
  }

  #renderFeedback(current) {
    let rating = current?.rating ?? null;
    const comment = el('input', {
      type: 'text', class: 'feedback-comment', id: `feedback-comment-${this.messageId}`, maxlength: 2000,
      placeholder: 'Optional comment', value: current?.comment ?? '', dataset: { testid: 'feedback-comment' },
    });
    const state = el('span', { class: 'feedback-state', role: 'status', dataset: { testid: 'feedback-status' } });
    const button = (value, iconName, label) => el('button', {
      type: 'button', class: 'icon-button feedback-button', 'aria-label': label, title: label,
      'aria-pressed': String(rating === value), dataset: { testid: `feedback-${value}`, rating: value },
      on: { click: () => send(value) },
    }, icon(iconName));
    const up = button('up', 'thumbUp', 'Good answer');
    const down = button('down', 'thumbDown', 'Bad answer');
    const commentForm = el('form', {
      class: 'feedback-form', hidden: !rating,
      on: { submit: (event) => { event.preventDefault(); if (rating) send(rating); } },
    },
    el('label', { for: comment.id, class: 'visually-hidden' }, 'Comment on this answer'), comment,
    el('button', { type: 'submit', class: 'button small secondary', dataset: { testid: 'feedback-save' } }, 'Send'));

    const send = async (value) => {
      up.disabled = down.disabled = true;
      try {
        const message = await this.api.sendFeedback(this.sessionId, this.messageId, value, comment.value.trim());
        rating = message?.feedback?.rating ?? value;
        up.setAttribute('aria-pressed', String(rating === 'up'));
        down.setAttribute('aria-pressed', String(rating === 'down'));
        commentForm.hidden = false;
        state.textContent = 'Thanks for the feedback.';
      } catch (error) {
        this.shell.showError(error, 'Could not save the feedback');
      } finally {
        up.disabled = down.disabled = false;
      }
    };
    this.feedback.replaceChildren(el('span', { class: 'feedback-label' }, 'Was this helpful?'), up, down, commentForm, state);
    this.feedback.hidden = false;
  }
}
