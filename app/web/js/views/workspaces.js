// Workspaces page (workspace managers and admins): create, list, delete. The API enforces the group
// too; this page only avoids offering forms that would be refused.

import { isRetrievalDisabled } from '../api.js';
import { el } from '../dom.js';
import { href } from '../router.js';
import {
  DEFAULT_OPTIONS, engineLabel, isReadOnly, normaliseOptions, refChoices, workspaceRequest,
} from '../workspace_form.js';
import { checkboxField, dataTable, field, inlineError, notAllowed, page } from './common.js';

// The API has no list of embedding models; these are the ones the rag service knows (rag/embeddings.py).
// config.json may name the stack's own with "embeddingModels".
const KNOWN_EMBEDDING_MODELS = ['amazon.titan-embed-text-v2:0', 'cohere.embed-english-v3', 'cohere.embed-multilingual-v3'];

export function mountWorkspaces(ctx) {
  const { api, shell, user } = ctx;
  if (!user.isManager) {
    shell.render(notAllowed('manage workspaces'));
    return null;
  }
  let alive = true;
  const list = el('div', { class: 'workspace-list', dataset: { testid: 'workspace-list' } }, el('p', {}, 'Loading…'));
  const form = createForm(ctx, async () => {
    ctx.catalog.invalidateWorkspaces();
    await refresh();
  });
  shell.render(page('workspaces-view', 'Workspaces',
    el('p', { class: 'lead' }, 'A workspace holds documents that chats bound to it answer from.'),
    form, el('h2', {}, 'All workspaces'), list));

  async function refresh() {
    let workspaces;
    try {
      workspaces = await api.workspaces();
    } catch (error) {
      if (!alive) return;
      if (isRetrievalDisabled(error)) {
        form.hidden = true;
        list.replaceChildren(el('p', { dataset: { testid: 'retrieval-disabled' } }, 'Retrieval is not enabled on this stack.'));
      } else {
        list.replaceChildren(inlineError(error));
      }
      return;
    }
    if (!alive) return;
    if (!workspaces.length) {
      list.replaceChildren(el('p', { dataset: { testid: 'workspace-empty' } }, 'No workspaces yet.'));
      return;
    }
    list.replaceChildren(dataTable('Workspaces',
      ['Name', 'Engine', 'Embedding model or index', 'Chunks (size / overlap)', 'Hybrid search', 'Actions'],
      workspaces.map(row)));
  }

  function row(ws) {
    return el('tr', { dataset: { testid: 'workspace-row', workspaceId: ws.id } },
      el('td', {}, el('a', { href: href.workspace(ws.id), dataset: { testid: 'workspace-link' } }, ws.name)),
      el('td', { dataset: { testid: 'workspace-engine' } }, engineLabel(ws.engine ?? 'pgvector'),
        ws.rerankModel ? ` (reranked by ${ws.rerankModel})` : ''),
      el('td', {}, isReadOnly(ws.engine) ? String(ws.engineRef ?? '') : `${ws.embeddingModel} (${ws.dimension} dims)`),
      el('td', {}, isReadOnly(ws.engine) ? '—' : `${ws.chunkSize} / ${ws.chunkOverlap}`),
      el('td', {}, ws.hybridSearch ? 'yes' : 'no'),
      el('td', {}, el('button', {
        type: 'button', class: 'button small danger', 'aria-label': `Delete workspace “${ws.name}”`,
        dataset: { testid: 'delete-workspace' }, on: { click: () => remove(ws) },
      }, 'Delete')));
  }

  async function remove(ws) {
    const ok = await shell.confirm(`Delete the workspace “${ws.name}” with all its documents? Chats bound to it stop answering from it.`);
    if (!ok) return;
    try {
      await api.deleteWorkspace(ws.id);
      ctx.catalog.invalidateWorkspaces();
      shell.announce(`Workspace ${ws.name} deleted`);
      await refresh();
    } catch (error) {
      shell.showError(error, 'Could not delete the workspace');
    }
  }

  refresh();
  return () => { alive = false; };
}

function createForm(ctx, onCreated) {
  const models = ctx.config.embeddingModels?.length ? ctx.config.embeddingModels : KNOWN_EMBEDDING_MODELS;
  let options = DEFAULT_OPTIONS;
  const name = el('input', { id: 'ws-name', type: 'text', required: true, maxlength: 100, dataset: { testid: 'workspace-name' } });
  const engine = el('select', { id: 'ws-engine', dataset: { testid: 'workspace-engine' } });
  const engineRef = el('select', { id: 'ws-engine-ref', dataset: { testid: 'workspace-engine-ref' } });
  const rerank = el('select', { id: 'ws-rerank', dataset: { testid: 'workspace-rerank' } });
  const model = el('input', {
    id: 'ws-embedding', type: 'text', required: true, list: 'ws-embedding-models', value: models[0],
    maxlength: 256, dataset: { testid: 'workspace-embedding-model' },
  });
  const datalist = el('datalist', { id: 'ws-embedding-models' }, ...models.map((m) => el('option', { value: m })));
  const size = el('input', { id: 'ws-chunk-size', type: 'number', min: 16, max: 8000, value: 300, required: true, dataset: { testid: 'workspace-chunk-size' } });
  const overlap = el('input', { id: 'ws-chunk-overlap', type: 'number', min: 0, max: 4000, value: 50, required: true, dataset: { testid: 'workspace-chunk-overlap' } });
  const hybrid = el('input', { id: 'ws-hybrid', type: 'checkbox', dataset: { testid: 'workspace-hybrid' } });
  const engineField = field('Retrieval engine', engine, 'Where the documents are indexed and searched; it cannot change later.');
  const refField = field('Index or knowledge base', engineRef, 'Kendra indexes and knowledge bases ingest their own sources: no uploads.');
  const rerankField = field('Reranking', rerank, 'A reranking model reorders the retrieved passages by relevance.');
  const modelField = field('Embedding model', model, 'The model that indexes the documents; it cannot change later.');
  const sizeField = field('Chunk size (tokens)', size);
  const overlapField = field('Chunk overlap (tokens)', overlap);
  const hybridField = checkboxField('Hybrid search (keywords and vectors)', hybrid);
  const submit = el('button', { type: 'submit', class: 'button primary', dataset: { testid: 'create-workspace' } }, 'Create workspace');
  const form = el('form', { class: 'panel form-grid', dataset: { testid: 'workspace-form' }, 'aria-labelledby': 'ws-form-title' },
    el('h2', { id: 'ws-form-title' }, 'New workspace'),
    field('Name', name), engineField, refField, modelField, datalist, sizeField, overlapField, hybridField, rerankField,
    el('div', { class: 'actions' }, submit));

  // Show (and enable, so the browser validates) only the controls the chosen engine uses.
  const show = (wrapper, control, visible) => { wrapper.hidden = !visible; control.disabled = !visible; };
  function sync() {
    const chosen = engine.value || 'pgvector';
    const readOnly = isReadOnly(chosen);
    const refs = refChoices(chosen, options);
    engineRef.replaceChildren(...refs.map((r) => el('option', { value: r.id }, r.name === r.id ? r.id : `${r.name} (${r.id})`)));
    show(refField, engineRef, readOnly);
    engineRef.required = readOnly;
    for (const [wrapper, control] of [[modelField, model], [sizeField, size], [overlapField, overlap]]) show(wrapper, control, !readOnly);
    show(hybridField, hybrid, chosen === 'pgvector');
    show(rerankField, rerank, options.rerankModels.length > 0);
  }
  function applyOptions(next) {
    options = next;
    engine.replaceChildren(...options.engines.map((e) => el('option', { value: e }, engineLabel(e))));
    rerank.replaceChildren(el('option', { value: '' }, 'None'), ...options.rerankModels.map((m) => el('option', { value: m }, m)));
    engineField.hidden = options.engines.length < 2; // one engine: nothing to choose
    sync();
  }
  engine.addEventListener('change', sync);
  applyOptions(DEFAULT_OPTIONS);
  ctx.api.workspaceOptions?.().then((raw) => applyOptions(normaliseOptions(raw))).catch(() => applyOptions(DEFAULT_OPTIONS));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    submit.disabled = true;
    try {
      const ws = await ctx.api.createWorkspace(workspaceRequest({
        name: name.value, engine: engine.value, engineRef: engineRef.value, rerankModel: rerank.value,
        embeddingModel: model.value, chunkSize: size.value, chunkOverlap: overlap.value, hybridSearch: hybrid.checked,
      }));
      name.value = '';
      ctx.shell.announce(`Workspace ${ws.name} created`);
      await onCreated(ws);
    } catch (error) {
      ctx.shell.showError(error, 'Could not create the workspace');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
