// The chat's model and workspace pickers. Models come from GET /models (only what the user may use);
// workspaces from GET /workspaces, hidden when the stack has no retrieval. Binding goes through
// PATCH /sessions/{id} {workspaceId} (null unbinds).

import { el } from '../dom.js';

const MODEL_KEY = 'chatbot.modelId';

export function modelPicker(ctx) {
  const select = el('select', { id: 'model-picker', class: 'picker', dataset: { testid: 'model-picker' } },
    el('option', { value: '' }, 'Default model'));
  const wrap = el('div', { class: 'picker-field' }, el('label', { for: select.id }, 'Model'), select);
  select.addEventListener('change', () => {
    try {
      localStorage.setItem(MODEL_KEY, select.value);
    } catch {
      // storage may be disabled; the choice then lasts for this page only
    }
  });
  ctx.catalog.models().then((models) => {
    for (const model of models) {
      const label = `${model.name} (${model.provider})${model.streaming ? '' : ' — no streaming'}`;
      select.append(el('option', { value: model.modelId, dataset: { streaming: String(model.streaming) } }, label));
    }
    let saved = '';
    try {
      saved = localStorage.getItem(MODEL_KEY) ?? '';
    } catch {
      saved = '';
    }
    if (models.some((m) => m.modelId === saved)) select.value = saved;
  }).catch((error) => ctx.shell.showError(error, 'Could not load the models'));
  return { element: wrap, value: () => select.value || null };
}

/**
 * onChange(workspaceId|null) is called after the user picks; it returns a promise that rejects to undo.
 */
export function workspacePicker(ctx, { current = null, onChange }) {
  const select = el('select', { id: 'workspace-picker', class: 'picker', dataset: { testid: 'workspace-picker' } },
    el('option', { value: '' }, 'No workspace'));
  const status = el('span', { class: 'picker-status', role: 'status', dataset: { testid: 'workspace-status' } });
  const wrap = el('div', { class: 'picker-field', hidden: true },
    el('label', { for: select.id }, 'Workspace'), select, status);
  let value = current ?? '';
  const names = new Map();

  select.addEventListener('change', async () => {
    const next = select.value || null;
    select.disabled = true;
    try {
      await onChange(next);
      value = select.value;
      status.textContent = next ? `Answers use “${names.get(next) ?? next}”.` : 'Not bound to a workspace.';
    } catch (error) {
      select.value = value;
      ctx.shell.showError(error, 'Could not change the workspace');
    } finally {
      select.disabled = false;
    }
  });

  ctx.catalog.workspaces().then((workspaces) => {
    if (workspaces === null) return; // no retrieval on this stack: no picker
    for (const ws of workspaces) {
      names.set(ws.id, ws.name);
      select.append(el('option', { value: ws.id }, ws.name));
    }
    if (value && !names.has(value)) select.append(el('option', { value }, '(a workspace that no longer exists)'));
    select.value = value;
    wrap.hidden = false;
  }).catch((error) => ctx.shell.showError(error, 'Could not load the workspaces'));

  return {
    element: wrap,
    value: () => select.value || null,
    set(workspaceId) {
      value = workspaceId ?? '';
      if (value && ![...select.options].some((o) => o.value === value)) select.append(el('option', { value }, value));
      select.value = value;
    },
  };
}
