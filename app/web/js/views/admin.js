// Runtime inference settings (admin group only; PUT /settings refuses everyone else as well). Saves only
// the fields that changed, with the version read (optimistic concurrency: 409 when someone else saved).

import { el } from '../dom.js';
import { formatDateTime } from '../format.js';
import { field, inlineError, notAllowed, page } from './common.js';

const FIELDS = ['defaultModel', 'temperature', 'maxTokens', 'historyLength', 'systemPrompt'];

export function mountAdmin(ctx) {
  const { api, shell, user } = ctx;
  if (!user.isAdmin) {
    // No API call and no form: the page only says so.
    shell.render(notAllowed('change the runtime settings'));
    return null;
  }
  let alive = true;
  let loaded = null;
  const body = el('div', {}, el('p', {}, 'Loading…'));
  shell.render(page('admin-view', 'Runtime settings',
    el('p', { class: 'lead' }, 'These settings apply to every answer from the next question on.'), body));

  const controls = {
    defaultModel: el('select', { id: 'setting-defaultModel', required: true, dataset: { testid: 'setting-defaultModel' } }),
    temperature: el('input', { id: 'setting-temperature', type: 'number', min: 0, max: 1, step: 0.01, required: true, dataset: { testid: 'setting-temperature' } }),
    maxTokens: el('input', { id: 'setting-maxTokens', type: 'number', min: 1, max: 8192, step: 1, required: true, dataset: { testid: 'setting-maxTokens' } }),
    historyLength: el('input', { id: 'setting-historyLength', type: 'number', min: 0, max: 50, step: 1, required: true, dataset: { testid: 'setting-historyLength' } }),
    systemPrompt: el('textarea', { id: 'setting-systemPrompt', rows: 6, maxlength: 4000, dataset: { testid: 'setting-systemPrompt' } }),
  };
  const meta = el('p', { class: 'hint', dataset: { testid: 'settings-meta' } });
  const status = el('p', { class: 'form-status', role: 'status', dataset: { testid: 'settings-status' } });
  const save = el('button', { type: 'submit', class: 'button primary', dataset: { testid: 'settings-save' } }, 'Save settings');
  const form = el('form', { class: 'panel form-grid', dataset: { testid: 'settings-form' }, 'aria-label': 'Runtime settings' },
    field('Default model', controls.defaultModel, 'Used when a question names no model.'),
    field('Temperature (0–1)', controls.temperature, 'Higher is more varied, lower more predictable.'),
    field('Maximum answer tokens', controls.maxTokens),
    field('History length (messages)', controls.historyLength, 'Earlier messages of the chat sent with each question.'),
    field('System prompt', controls.systemPrompt, 'Instructions given to the model before every chat (at most 4,000 characters).'),
    el('div', { class: 'actions' }, save), status, meta);
  form.addEventListener('submit', onSave);

  async function load() {
    try {
      const [settings, models] = await Promise.all([api.settings(), ctx.catalog.models().catch(() => [])]);
      if (!alive) return;
      fill(settings, models);
      body.replaceChildren(form);
    } catch (error) {
      if (alive) body.replaceChildren(inlineError(error));
    }
  }

  function fill(settings, models = null) {
    loaded = settings;
    const select = controls.defaultModel;
    if (models) {
      select.replaceChildren(...models.map((m) => el('option', { value: m.modelId }, `${m.name} (${m.modelId})`)));
    }
    if (![...select.options].some((o) => o.value === settings.defaultModel)) {
      select.append(el('option', { value: settings.defaultModel }, `${settings.defaultModel} (not offered now)`));
    }
    select.value = settings.defaultModel;
    controls.temperature.value = String(settings.temperature);
    controls.maxTokens.value = String(settings.maxTokens);
    controls.historyLength.value = String(settings.historyLength);
    controls.systemPrompt.value = settings.systemPrompt;
    meta.textContent = settings.updatedAt
      ? `Version ${settings.version}, last changed ${formatDateTime(settings.updatedAt)} by ${settings.updatedBy ?? 'unknown'}.`
      : `Version ${settings.version}: the built-in defaults.`;
    meta.dataset.version = String(settings.version);
  }

  function changes() {
    const now = {
      defaultModel: controls.defaultModel.value,
      temperature: Number(controls.temperature.value),
      maxTokens: Number(controls.maxTokens.value),
      historyLength: Number(controls.historyLength.value),
      systemPrompt: controls.systemPrompt.value,
    };
    const changed = { version: loaded.version };
    for (const key of FIELDS) if (now[key] !== loaded[key]) changed[key] = now[key];
    return changed;
  }

  async function onSave(event) {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const body = changes();
    if (Object.keys(body).length === 1) {
      status.textContent = 'Nothing has changed.';
      return;
    }
    save.disabled = true;
    status.textContent = 'Saving…';
    try {
      const saved = await api.updateSettings(body);
      fill(saved);
      status.textContent = `Saved (version ${saved.version}).`;
      shell.announce('Settings saved');
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
      shell.showError(error, 'Could not save the settings');
      if (error.status === 409) {
        // Someone else saved meanwhile: show their values; the user re-applies the change.
        try {
          fill(await api.settings());
          status.textContent = 'Someone else changed the settings meanwhile; their values are shown now.';
        } catch (reloadError) {
          shell.showError(reloadError, 'Could not reload the settings');
        }
      }
    } finally {
      save.disabled = false;
    }
  }

  load();
  return () => { alive = false; };
}
