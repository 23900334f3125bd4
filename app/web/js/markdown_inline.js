// Inline Markdown (emphasis, code spans, links, line breaks) -> plain data nodes; see markdown.js.

export const MAX_DEPTH = 8; // nested lists/quotes/emphasis beyond this are plain text (bounded recursion)
const ESCAPABLE = '\\`*_{}[]()#+-.!|~<>"\'';

/** A URL for a link, or null: absolute http(s) only, no credentials, no whitespace or controls. */
export function safeHref(raw) {
  const value = String(raw ?? '').trim();
  if (!value || /[\s\u0000-\u001f\u007f]/.test(value)) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  return url.href;
}

const BARE_URL = /^https?:\/\/[^\s<>()[\]"']*[^\s<>()[\]"'.,;:!?*_~]/;
const AUTOLINK = /^<(https?:\/\/[^\s<>]+)>/;

export function parseInline(text, depth = 0) {
  const out = [];
  let buf = '';
  const failed = new Map(); // delimiter -> search start that found no closer (later searches fail too)
  const flush = () => {
    if (buf) out.push({ type: 'text', text: buf });
    buf = '';
  };
  const push = (node) => {
    flush();
    out.push(node);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
      buf += text[i + 1];
      i += 2;
    } else if (c === '\n') {
      buf = buf.replace(/[ \t]+$/, '');
      push({ type: 'br' });
      i += 1;
    } else if (c === '`') {
      let run = 1;
      while (text[i + run] === '`') run += 1;
      const close = findCodeClose(text, i + run, run);
      if (close < 0) {
        buf += '`'.repeat(run);
      } else {
        let code = text.slice(i + run, close).replace(/\n/g, ' ');
        if (/^ .* $/.test(code) && code.trim()) code = code.slice(1, -1);
        push({ type: 'code', text: code });
      }
      i = close < 0 ? i + run : close + run;
    } else if (c === '[' || (c === '!' && text[i + 1] === '[')) {
      const link = parseLink(text, c === '!' ? i + 1 : i, depth);
      if (link) {
        push(link.node);
        i = link.end;
      } else {
        buf += c;
        i += 1;
      }
    } else if (c === '<' && AUTOLINK.test(text.slice(i, i + 2048))) {
      const m = AUTOLINK.exec(text.slice(i, i + 2048));
      const href = safeHref(m[1]);
      if (href) push({ type: 'link', href, children: [{ type: 'text', text: m[1] }] });
      else buf += m[0];
      i += m[0].length;
    } else if (c === 'h' && text.startsWith('http', i) && !/[A-Za-z0-9]/.test(text[i - 1] ?? '')
      && BARE_URL.test(text.slice(i, i + 2048))) {
      const m = BARE_URL.exec(text.slice(i, i + 2048));
      const href = safeHref(m[0]);
      if (href) push({ type: 'link', href, children: [{ type: 'text', text: m[0] }] });
      else buf += m[0];
      i += m[0].length;
    } else if ((c === '*' || c === '_' || c === '~') && depth < MAX_DEPTH) {
      const span = parseEmphasis(text, i, depth, failed);
      if (span) {
        push(span.node);
        i = span.end;
      } else {
        let run = 1;
        while (text[i + run] === c) run += 1;
        buf += c.repeat(run);
        i += run;
      }
    } else {
      buf += c;
      i += 1;
    }
  }
  flush();
  return out;
}

function findCodeClose(text, from, run) {
  let k = text.indexOf('`'.repeat(run), from);
  while (k >= 0) {
    let len = 0;
    while (text[k + len] === '`') len += 1;
    if (len === run) return k;
    k = text.indexOf('`'.repeat(run), k + len);
  }
  return -1;
}

function parseLink(text, open, depth) {
  let level = 0;
  let close = -1;
  for (let k = open; k < text.length && k < open + 2048; k += 1) {
    if (text[k] === '\\') k += 1;
    else if (text[k] === '[') level += 1;
    else if (text[k] === ']' && --level === 0) {
      close = k;
      break;
    }
  }
  if (close < 0 || text[close + 1] !== '(') return null;
  const end = text.indexOf(')', close + 2);
  if (end < 0) return null;
  const target = text.slice(close + 2, end).trim();
  const url = target.replace(/\s+(["']).*\1$/, '').replace(/^<(.*)>$/, '$1');
  const href = safeHref(url);
  if (!href) return null; // not a safe link: the whole construct stays literal text
  const label = text.slice(open + 1, close);
  const children = depth < MAX_DEPTH ? parseInline(label, depth + 1) : [{ type: 'text', text: label }];
  return { node: { type: 'link', href, children: children.length ? children : [{ type: 'text', text: href }] }, end: end + 1 };
}

function parseEmphasis(text, i, depth, failed) {
  const c = text[i];
  let run = 1;
  while (text[i + run] === c) run += 1;
  if (c === '_' && /[A-Za-z0-9]/.test(text[i - 1] ?? '')) return null; // snake_case stays text
  const options = c === '~' ? (run === 2 ? [2] : []) : run >= 2 ? [2, 1] : [1];
  for (const size of options) {
    const delim = c.repeat(size);
    const start = i + size;
    if (!text[start] || /\s/.test(text[start])) continue;
    const close = findCloser(text, start, c, size, failed);
    if (close < 0) continue;
    const type = c === '~' ? 'del' : size === 2 ? 'strong' : 'em';
    return { node: { type, children: parseInline(text.slice(start, close), depth + 1) }, end: close + delim.length };
  }
  return null;
}

function findCloser(text, from, c, size, failed) {
  const key = c.repeat(size);
  if (failed.has(key) && failed.get(key) <= from) return -1;
  let k = text.indexOf(key, from + 1);
  while (k >= 0) {
    const before = text[k - 1];
    const after = text[k + size];
    const partOfLonger = size === 1 ? before === c || after === c : after === c && text[k + size + 1] !== c;
    const wordAfter = c === '_' && /[A-Za-z0-9]/.test(after ?? '');
    if (!/\s/.test(before) && !partOfLonger && !wordAfter) return k;
    k = text.indexOf(key, k + 1);
  }
  failed.set(key, from);
  return -1;
}
