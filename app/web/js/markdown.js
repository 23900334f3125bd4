// A small Markdown parser that produces a plain data tree, never HTML. render_markdown.js turns the
// tree into DOM nodes with createElement/textContent, so nothing a model or a document writes can
// become markup: raw HTML stays literal text, and only http(s) links become links.
//
// Blocks: {type: 'paragraph'|'heading'(level)|'code'(lang, text)|'list'(ordered, start, items)|
//          'blockquote'(blocks)|'hr'|'table'(align, head, rows)}
// Inlines: {type: 'text'(text)|'code'(text)|'strong'|'em'|'del'(children)|'link'(href, children)|'br'}

import { MAX_DEPTH, parseInline } from './markdown_inline.js';

export { parseInline, safeHref } from './markdown_inline.js';

const FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:( +)(.*))?$/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

export function parseMarkdown(source) {
  const text = String(source ?? '').replace(/\r\n?/g, '\n').replace(/\t/g, '    ');
  return parseBlocks(text.split('\n'), 0);
}

const isBlank = (line) => line.trim() === '';
const indentOf = (line) => line.length - line.trimStart().length;

function startsBlock(lines, i) {
  const line = lines[i];
  if (FENCE.test(line) || HR.test(line) || QUOTE.test(line)) return true;
  if (HEADING.test(line)) return true;
  const item = LIST_ITEM.exec(line);
  // Like CommonMark: an ordered list interrupts a paragraph only when it starts at 1.
  if (item && item[4] && (/^[-*+]$/.test(item[2]) || /^1[.)]$/.test(item[2]))) return true;
  return isTableStart(lines, i);
}

function parseBlocks(lines, depth) {
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      i = parseFence(lines, i, fence, blocks);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const body = (heading[2] ?? '').replace(/[ \t]+#+$/, '').replace(/^#+$/, '');
      blocks.push({ type: 'heading', level: heading[1].length, children: parseInline(body, depth) });
      i += 1;
      continue;
    }
    if (HR.test(line)) {
      blocks.push({ type: 'hr' });
      i += 1;
      continue;
    }
    if (depth < MAX_DEPTH && QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && QUOTE.test(lines[i])) inner.push(lines[i++].replace(QUOTE, ''));
      blocks.push({ type: 'blockquote', blocks: parseBlocks(inner, depth + 1) });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (depth < MAX_DEPTH && item) {
      i = parseList(lines, i, depth, blocks);
      continue;
    }
    if (isTableStart(lines, i)) {
      i = parseTable(lines, i, depth, blocks);
      continue;
    }
    const para = [line.trim()];
    i += 1;
    while (i < lines.length && !isBlank(lines[i]) && !startsBlock(lines, i)) para.push(lines[i++].trim());
    blocks.push({ type: 'paragraph', children: parseInline(para.join('\n'), depth) });
  }
  return blocks;
}

function parseFence(lines, start, match, blocks) {
  const [, indent, marker, info] = match;
  const closer = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`);
  const body = [];
  let i = start + 1;
  // An unclosed fence runs to the end (a streaming answer is often mid-block).
  while (i < lines.length && !closer.test(lines[i])) {
    const line = lines[i++];
    body.push(line.slice(Math.min(indent.length, indentOf(line))));
  }
  blocks.push({ type: 'code', lang: /^[\w+#.-]{1,30}$/.test(info) ? info : '', text: body.join('\n') });
  return i < lines.length ? i + 1 : i;
}

function parseList(lines, start, depth, blocks) {
  const first = LIST_ITEM.exec(lines[start]);
  const ordered = !/^[-*+]$/.test(first[2]);
  const kind = ordered ? first[2].slice(-1) : first[2];
  const list = { type: 'list', ordered, start: ordered ? parseInt(first[2], 10) : 1, items: [] };
  let i = start;
  while (i < lines.length) {
    const item = LIST_ITEM.exec(lines[i]);
    if (!item || HR.test(lines[i])) break;
    const itemKind = /^[-*+]$/.test(item[2]) ? item[2] : item[2].slice(-1);
    if (itemKind !== kind) break;
    const markerIndent = item[1].length;
    const spaces = (item[3] ?? '').length;
    const contentIndent = markerIndent + item[2].length + (spaces > 4 || spaces === 0 ? 1 : spaces);
    const body = [spaces > 4 ? ' '.repeat(spaces - 1) + item[4] : (item[4] ?? '')];
    i += 1;
    let lastBlank = false;
    while (i < lines.length) {
      const line = lines[i];
      if (isBlank(line)) {
        body.push('');
        lastBlank = true;
        i += 1;
        continue;
      }
      const indent = indentOf(line);
      if (indent >= markerIndent + 2) {
        body.push(line.slice(Math.min(indent, contentIndent)));
      } else if (!lastBlank && !LIST_ITEM.test(line) && !startsBlock(lines, i)) {
        body.push(line.trim()); // a lazy continuation of the item's paragraph
      } else {
        break;
      }
      lastBlank = false;
      i += 1;
    }
    while (body.length && isBlank(body[body.length - 1])) body.pop();
    list.items.push(parseBlocks(body, depth + 1));
    // A blank line then something that is not an item of this list ends it.
    if (i < lines.length && !LIST_ITEM.test(lines[i])) break;
  }
  blocks.push(list);
  return i;
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells = [];
  let cell = '';
  for (let k = 0; k < row.length; k += 1) {
    if (row[k] === '\\' && row[k + 1] === '|') {
      cell += '|';
      k += 1;
    } else if (row[k] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += row[k];
    }
  }
  cells.push(cell.trim());
  return cells;
}

function isTableStart(lines, i) {
  if (i + 1 >= lines.length || !lines[i].includes('|') || !TABLE_DELIMITER.test(lines[i + 1])) return false;
  if (!lines[i + 1].includes('|') && !lines[i].trim().startsWith('|')) return false;
  return splitRow(lines[i]).length === splitRow(lines[i + 1]).length;
}

function parseTable(lines, start, depth, blocks) {
  const head = splitRow(lines[start]);
  const align = splitRow(lines[start + 1]).map((cell) => {
    if (cell.startsWith(':') && cell.endsWith(':')) return 'center';
    if (cell.endsWith(':')) return 'right';
    if (cell.startsWith(':')) return 'left';
    return '';
  });
  const rows = [];
  let i = start + 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    const cells = splitRow(lines[i++]);
    rows.push(head.map((_, k) => parseInline(cells[k] ?? '', depth)));
  }
  blocks.push({ type: 'table', align, head: head.map((cell) => parseInline(cell, depth)), rows });
  return i;
}
