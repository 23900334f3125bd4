// Markdown tree (markdown.js) -> DOM nodes. Only fixed tag names, text nodes and checked attributes:
// no HTML string is ever parsed, so hostile model or document text renders as text.

import { parseMarkdown } from './markdown.js';

const CITATION = /\[(\d{1,3})\]/g;

/**
 * Render Markdown text into a DocumentFragment.
 * `cite(n)` may return a node that replaces a literal "[n]" in ordinary text (not in code); null keeps it.
 */
export function renderMarkdown(text, { cite = null } = {}) {
  const fragment = document.createDocumentFragment();
  for (const block of parseMarkdown(text)) fragment.append(renderBlock(block, cite));
  return fragment;
}

function renderBlock(block, cite) {
  switch (block.type) {
    case 'paragraph':
      return withInlines(document.createElement('p'), block.children, cite);
    case 'heading': {
      // Answers sit under the page's h2; Markdown headings start at h3 to keep the outline sane.
      const node = document.createElement(`h${Math.min(6, block.level + 2)}`);
      node.className = `md-heading md-h${block.level}`;
      return withInlines(node, block.children, cite);
    }
    case 'code':
      return codeBlock(block);
    case 'list': {
      const node = document.createElement(block.ordered ? 'ol' : 'ul');
      if (block.ordered && block.start !== 1) node.setAttribute('start', String(block.start));
      for (const item of block.items) node.append(listItem(item, cite));
      return node;
    }
    case 'blockquote': {
      const node = document.createElement('blockquote');
      for (const inner of block.blocks) node.append(renderBlock(inner, cite));
      return node;
    }
    case 'hr':
      return document.createElement('hr');
    case 'table':
      return table(block, cite);
    default:
      return document.createTextNode('');
  }
}

function listItem(blocks, cite) {
  const li = document.createElement('li');
  blocks.forEach((block, index) => {
    // A tight item's first paragraph goes straight into the <li>.
    if (index === 0 && block.type === 'paragraph') withInlines(li, block.children, cite);
    else li.append(renderBlock(block, cite));
  });
  return li;
}

function codeBlock(block) {
  const pre = document.createElement('pre');
  pre.className = 'code-block';
  const code = document.createElement('code');
  if (block.lang) {
    code.className = `language-${block.lang}`;
    pre.dataset.lang = block.lang;
  }
  code.textContent = block.text;
  pre.append(code);
  return pre;
}

function table(block, cite) {
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  const node = document.createElement('table');
  const head = document.createElement('thead');
  const headRow = document.createElement('tr');
  block.head.forEach((cell, k) => headRow.append(tableCell('th', cell, block.align[k], cite)));
  head.append(headRow);
  const body = document.createElement('tbody');
  for (const row of block.rows) {
    const tr = document.createElement('tr');
    row.forEach((cell, k) => tr.append(tableCell('td', cell, block.align[k], cite)));
    body.append(tr);
  }
  node.append(head, body);
  wrap.append(node);
  return wrap;
}

function tableCell(tag, inlines, align, cite) {
  const cell = document.createElement(tag);
  if (align) cell.className = `align-${align}`;
  return withInlines(cell, inlines, cite);
}

function withInlines(parent, inlines, cite) {
  for (const inline of inlines) parent.append(renderInline(inline, cite));
  return parent;
}

function renderInline(inline, cite) {
  switch (inline.type) {
    case 'text':
      return textWithCitations(inline.text, cite);
    case 'code': {
      const node = document.createElement('code');
      node.textContent = inline.text;
      return node;
    }
    case 'strong':
    case 'em':
    case 'del':
      return withInlines(document.createElement(inline.type), inline.children, cite);
    case 'link': {
      const node = document.createElement('a');
      node.setAttribute('href', inline.href); // markdown.js admits absolute http(s) URLs only
      node.setAttribute('rel', 'noopener noreferrer');
      node.setAttribute('target', '_blank');
      node.className = 'md-link';
      return withInlines(node, inline.children, null);
    }
    case 'br':
      return document.createElement('br');
    default:
      return document.createTextNode('');
  }
}

function textWithCitations(text, cite) {
  if (!cite) return document.createTextNode(text);
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(CITATION)) {
    const node = cite(Number(match[1]));
    if (!node) continue;
    if (match.index > last) fragment.append(document.createTextNode(text.slice(last, match.index)));
    fragment.append(node);
    last = match.index + match[0].length;
  }
  if (last < text.length) fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}
