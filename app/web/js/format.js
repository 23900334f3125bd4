// Small pure formatting helpers shared by the views (no DOM).

// The upload route checks that contentType is the one content type of the file's extension
// (rag/parsers CONTENT_TYPES); browsers guess differently (.md, .csv), so the UI maps it itself.
const CONTENT_TYPES = {
  '.pdf': 'application/pdf',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.txt': 'text/plain',
  '.text': 'text/plain',
  '.json': 'application/json',
};

export const UPLOAD_ACCEPT = Object.keys(CONTENT_TYPES).join(',');

/** The content type the API expects for a file name, else the browser's guess (the API then explains). */
export function contentTypeFor(fileName, browserType = '') {
  const dot = String(fileName).lastIndexOf('.');
  const ext = dot >= 0 ? String(fileName).slice(dot).toLowerCase() : '';
  return CONTENT_TYPES[ext] || browserType || 'application/octet-stream';
}

/** "page 3, Intro › Setup" from a source's location ({page, slide, sheet, headingPath}). */
export function locationLabel(location) {
  if (!location || typeof location !== 'object') return '';
  const parts = [];
  for (const key of ['page', 'slide', 'sheet']) {
    const value = location[key];
    if (value !== undefined && value !== null && value !== '') parts.push(`${key} ${value}`);
  }
  const path = location.headingPath ?? location.heading_path;
  if (Array.isArray(path) && path.length) parts.push(path.map(String).join(' › '));
  else if (typeof path === 'string' && path) parts.push(path);
  return parts.join(', ');
}

export function formatBytes(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatCount(n) {
  const value = Number(n);
  return Number.isFinite(value) ? value.toLocaleString('en-US') : String(n);
}

/** An ISO 8601 time as a Date (null when empty or unreadable). Python's isoformat() gives microseconds,
 * which not every engine parses: the fraction is cut to milliseconds first. */
export function parseIso(iso) {
  if (!iso) return null;
  const date = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A time in the user's locale and time zone; `empty` when there is none, the text itself if unreadable. */
export function formatDateTime(iso, empty = '') {
  if (!iso) return empty;
  const date = parseIso(iso);
  if (!date) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** What an upload's status line says once its file is stored, from the document's row (null: not listed). */
export function processingStatus(doc) {
  if (!doc) return { text: 'No longer in this workspace.', failed: false };
  if (doc.status === 'queued') return { text: 'Uploaded; processing starts shortly.', failed: false };
  if (doc.status === 'processing') return { text: 'Uploaded; processing…', failed: false };
  if (doc.status === 'ready') return { text: 'Ready.', failed: false };
  if (doc.status === 'failed') {
    return { text: `Processing failed: ${doc.reason || 'no reason was given'}`, failed: true };
  }
  return { text: `Status: ${doc.status}`, failed: false };
}

/** A session title from a question: its first line, at most `max` characters, cut at a word. */
export function titleFrom(text, max = 60) {
  const line = String(text).trim().split('\n')[0].replace(/\s+/g, ' ');
  if (line.length <= max) return line || 'New chat';
  const cut = line.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The text to show for a thrown value: its message, else the value itself. */
export function errorText(error) {
  return error?.message ? String(error.message) : String(error);
}

/** The fraction used of an allowance, clamped to 0..1 (0 for a zero or missing limit). */
export function fractionUsed(allowance) {
  const used = Number(allowance?.used);
  const limit = Number(allowance?.limit);
  if (!Number.isFinite(used) || !Number.isFinite(limit) || limit <= 0) return 0;
  return Math.min(1, Math.max(0, used / limit));
}
