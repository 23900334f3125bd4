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

export function formatDateTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A session title from a question: its first line, at most `max` characters, cut at a word. */
export function titleFrom(text, max = 60) {
  const line = String(text).trim().split('\n')[0].replace(/\s+/g, ' ');
  if (line.length <= max) return line || 'New chat';
  const cut = line.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The fraction used of an allowance, clamped to 0..1 (0 for a zero or missing limit). */
export function fractionUsed(allowance) {
  const used = Number(allowance?.used);
  const limit = Number(allowance?.limit);
  if (!Number.isFinite(used) || !Number.isFinite(limit) || limit <= 0) return 0;
  return Math.min(1, Math.max(0, used / limit));
}
