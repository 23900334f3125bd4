// One workspace's documents (managers): per-document status, polled while any is queued or processing;
// upload with progress (register -> presigned POST -> the doc processor picks it up); crawl a website into
// it when the stack crawls (views/crawl.js); delete.

import { crawlingOptions, offersCrawl } from '../crawl_form.js';
import { el } from '../dom.js';
import { contentTypeFor, formatBytes, formatDateTime, processingStatus, UPLOAD_ACCEPT } from '../format.js';
import { href } from '../router.js';
import { postPresigned } from '../upload.js';
import { isReadOnly, workspaceSummary } from '../workspace_form.js';
import { dataTable, inlineError, notAllowed, notFound, page } from './common.js';
import { crawlPanel } from './crawl.js';

const POLL_MS = 2000;
const CRAWL_WATCH_MS = 10 * 60 * 1000; // a started crawl registers its pages over minutes: keep polling
const BUSY = new Set(['queued', 'processing']);
const STATUS_TEXT = { queued: 'Queued', processing: 'Processing', ready: 'Ready', failed: 'Failed' };

export function mountDocuments(ctx, route) {
  const { api, shell, user } = ctx;
  if (!user.isManager) {
    shell.render(notAllowed('manage workspaces'));
    return null;
  }
  const workspaceId = route.workspaceId;
  const state = { alive: true, timer: null, uploading: 0, documents: [], crawlUntil: 0 };
  const heading = el('p', { class: 'lead', dataset: { testid: 'workspace-details' } }, 'Loading…');
  const table = el('div', { class: 'document-list', dataset: { testid: 'document-list' } }, el('p', {}, 'Loading…'));
  const uploads = el('ul', { class: 'upload-list', dataset: { testid: 'upload-list' } });
  const input = el('input', {
    type: 'file', id: 'upload-input', multiple: true, accept: UPLOAD_ACCEPT, class: 'file-input',
    'aria-describedby': 'upload-hint', dataset: { testid: 'upload-input' },
  });
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    for (const file of files) upload(file);
  });
  // Hidden once the workspace turns out to read its own index (Kendra, knowledge bases): no uploads there.
  const uploadPanel = el('div', { class: 'panel upload-panel', dataset: { testid: 'upload-panel' } },
    el('h2', {}, 'Upload documents'),
    el('label', { for: input.id, class: 'file-label' }, 'Files to upload'), input,
    el('p', { class: 'hint', id: 'upload-hint' },
      'PDF, Word, PowerPoint, Excel, CSV, HTML, Markdown, text or JSON. A file with the name of an existing document replaces it.'),
    uploads);
  const readOnlyNote = el('p', { class: 'hint', hidden: true, dataset: { testid: 'read-only-workspace' } },
    'This workspace answers from an index that ingests its own sources: documents are not uploaded here.');
  const crawl = crawlPanel(api, workspaceId, () => {
    state.crawlUntil = Date.now() + CRAWL_WATCH_MS;
    refresh();
  });
  const section = page('documents-view', 'Workspace',
    el('p', {}, el('a', { href: href.workspaces() }, '← All workspaces')),
    heading, readOnlyNote, uploadPanel, crawl.node,
    el('h2', {}, 'Documents'), table);
  shell.render(section);
  const title = section.querySelector('h1');

  api.workspace(workspaceId).then((ws) => {
    if (!state.alive) return;
    title.textContent = `Workspace: ${ws.name}`;
    heading.textContent = workspaceSummary(ws);
    uploadPanel.hidden = isReadOnly(ws.engine);
    readOnlyNote.hidden = !uploadPanel.hidden;
    // Without the options (an older API) there is simply no crawl form.
    api.workspaceOptions().then((raw) => {
      const crawling = crawlingOptions(raw);
      if (state.alive && offersCrawl(ws, crawling)) crawl.offer(crawling);
    }).catch(() => {});
  }).catch((error) => {
    if (!state.alive) return;
    if (error.status === 404 && error.code !== 'retrieval_disabled') shell.render(notFound('This workspace does not exist.'));
    else heading.replaceChildren(inlineError(error));
  });

  async function refresh() {
    clearTimeout(state.timer);
    try {
      state.documents = await api.documents(workspaceId);
    } catch (error) {
      if (state.alive) table.replaceChildren(inlineError(error));
      return;
    }
    if (!state.alive) return;
    renderDocuments();
    showProcessing();
    // Poll while the processor works on something (or an upload may have just landed, or a crawl runs).
    if (state.documents.some((d) => BUSY.has(d.status)) || state.uploading > 0 || Date.now() < state.crawlUntil) {
      clearTimeout(state.timer); // refreshes can overlap (uploads, deletes): keep one poll loop
      state.timer = setTimeout(refresh, POLL_MS);
    }
  }

  function renderDocuments() {
    if (!state.documents.length) {
      table.replaceChildren(el('p', { dataset: { testid: 'document-empty' } }, 'No documents yet.'));
      return;
    }
    table.replaceChildren(dataTable('Documents and their status',
      ['File', 'Status', 'Chunks', 'Updated', 'Actions'], state.documents.map(row)));
  }

  function row(doc) {
    const status = el('span', {
      class: ['status-badge', `status-${doc.status}`], dataset: { testid: 'document-status', status: doc.status },
    }, STATUS_TEXT[doc.status] ?? doc.status);
    return el('tr', { dataset: { testid: 'document-row', documentId: doc.id, fileName: doc.fileName, status: doc.status } },
      el('td', { class: 'file-name', dataset: { testid: 'document-name' } }, doc.fileName),
      el('td', {}, status, doc.reason ? el('span', { class: 'status-reason', dataset: { testid: 'document-reason' } }, ` — ${doc.reason}`) : null),
      el('td', {}, String(doc.chunkCount ?? 0)),
      el('td', { dataset: { testid: 'document-updated' } },
        doc.updatedAt ? el('time', { datetime: doc.updatedAt }, formatDateTime(doc.updatedAt)) : '—'),
      el('td', {}, el('button', {
        type: 'button', class: 'button small danger', 'aria-label': `Delete document “${doc.fileName}”`,
        dataset: { testid: 'delete-document' }, on: { click: () => remove(doc) },
      }, 'Delete')));
  }

  // Uploaded files' status lines follow their document until it is ready or failed.
  function showProcessing() {
    for (const item of uploads.querySelectorAll('[data-testid="upload-item"][data-state="done"]')) {
      const doc = state.documents.find((d) => d.id === item.dataset.documentId) ?? null;
      const { text, failed } = processingStatus(doc);
      const status = item.querySelector('[data-testid="upload-status"]');
      if (status.textContent === text) continue;
      status.textContent = text;
      status.classList.toggle('inline-error', failed);
      if (!doc || !BUSY.has(doc.status)) shell.announce(`${item.dataset.fileName}: ${text}`);
    }
  }

  async function upload(file) {
    const progress = el('progress', { max: 1, value: 0, 'aria-label': `Upload of ${file.name}`, dataset: { testid: 'upload-progress' } });
    const status = el('span', { class: 'upload-status', dataset: { testid: 'upload-status' } }, 'Registering…');
    const item = el('li', { class: 'upload-item', dataset: { testid: 'upload-item', fileName: file.name, state: 'registering' } },
      el('span', { class: 'file-name' }, `${file.name} (${formatBytes(file.size)})`), progress, status);
    uploads.append(item);
    state.uploading += 1;
    try {
      const ticket = await api.createUpload(workspaceId, {
        fileName: file.name, contentType: contentTypeFor(file.name, file.type), size: file.size,
      });
      item.dataset.state = 'uploading';
      item.dataset.documentId = ticket.document.id;
      refresh(); // the document is registered (queued) already
      await postPresigned(ticket.upload, file, (fraction) => {
        progress.value = fraction;
        status.textContent = `Uploading ${Math.round(fraction * 100)}%`;
      }).promise;
      item.dataset.state = 'done';
      status.textContent = processingStatus({ status: 'queued' }).text; // until the next refresh says more
      shell.announce(`${file.name} uploaded`);
    } catch (error) {
      item.dataset.state = 'failed';
      status.textContent = `Failed: ${error.message}`;
      status.classList.add('inline-error');
      shell.showError(error, `Could not upload ${file.name}`);
    } finally {
      state.uploading -= 1;
      if (state.alive) refresh();
    }
  }

  async function remove(doc) {
    const ok = await shell.confirm(`Delete “${doc.fileName}” from this workspace? Its passages are no longer searched.`);
    if (!ok) return;
    try {
      await api.deleteDocument(workspaceId, doc.id);
      shell.announce(`${doc.fileName} deleted`);
      await refresh();
    } catch (error) {
      shell.showError(error, 'Could not delete the document');
    }
  }

  refresh();
  return () => {
    state.alive = false;
    clearTimeout(state.timer);
  };
}
