// Today's use against the daily quotas (GET /usage), in the top bar; refreshed after every answer.

import { clear, el } from '../dom.js';
import { formatCount, formatDateTime } from '../format.js';

export class UsageWidget {
  constructor(node, api, shell) {
    this.node = node;
    this.api = api;
    this.shell = shell;
    this.loading = null;
  }

  refresh() {
    this.loading ??= this.api.usage()
      .then((report) => this.render(report))
      .catch((error) => this.shell.showError(error, 'Could not load your usage'))
      .finally(() => { this.loading = null; });
    return this.loading;
  }

  render(report) {
    clear(this.node);
    this.node.title = report.resetsAt ? `Today's use; resets ${formatDateTime(report.resetsAt)}` : "Today's use";
    this.node.append(
      allowance('messages', 'Messages', report.messages),
      allowance('tokens', 'Tokens', report.tokens),
    );
  }
}

function allowance(key, label, value) {
  const used = Number(value?.used ?? 0);
  const limit = Number(value?.limit ?? 0);
  const id = `usage-${key}-meter`;
  const meter = el('meter', {
    id, min: 0, max: Math.max(limit, 1), value: Math.min(used, Math.max(limit, 1)),
    low: Math.max(limit, 1) * 0.75, high: Math.max(limit, 1) * 0.9, optimum: 0,
  });
  return el('span', {
    class: ['usage-item', used >= limit && limit > 0 ? 'exhausted' : ''],
    dataset: { testid: `usage-${key}`, used, limit },
  },
  el('label', { for: id }, label), meter,
  el('span', { class: 'usage-numbers' }, `${formatCount(used)} / ${formatCount(limit)}`));
}
