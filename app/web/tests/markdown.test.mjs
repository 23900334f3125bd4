// The Markdown parser produces data, never HTML: hostile input must come out as text nodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseInline, parseMarkdown, safeHref } from '../js/markdown.js';

/** Every string a renderer would put into the DOM, with the node type that carries it. */
function walk(nodes, out = []) {
  for (const node of nodes) {
    out.push(node);
    for (const key of ['children', 'blocks']) if (Array.isArray(node[key])) walk(node[key], out);
    if (node.items) for (const item of node.items) walk(item, out);
    if (node.head) for (const cell of node.head) walk(cell, out);
    if (node.rows) for (const row of node.rows) for (const cell of row) walk(cell, out);
  }
  return out;
}

const TYPES = new Set(['paragraph', 'heading', 'code', 'list', 'blockquote', 'hr', 'table', 'text', 'strong', 'em', 'del', 'link', 'br']);

test('raw HTML stays literal text', () => {
  const hostile = '<script>alert(1)</script> <img src=x onerror=alert(2)> <a href="javascript:alert(3)">x</a>';
  const nodes = walk(parseMarkdown(hostile));
  for (const node of nodes) assert.ok(TYPES.has(node.type), node.type);
  const text = nodes.filter((n) => n.type === 'text').map((n) => n.text).join('');
  assert.equal(text, hostile);
  assert.equal(nodes.filter((n) => n.type === 'link').length, 0);
});

test('only absolute http(s) links become links', () => {
  assert.equal(safeHref('https://example.com/a?b=1'), 'https://example.com/a?b=1');
  assert.equal(safeHref('http://example.com'), 'http://example.com/');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x',
    '/relative', '//evil.example/x', 'https://user:pw@example.com/', 'java\nscript:alert(1)', 'file:///etc/passwd', '']) {
    assert.equal(safeHref(bad), null, bad);
  }
  const [para] = parseMarkdown('[click](javascript:alert(1)) and [ok](https://example.com "t")');
  const links = walk([para]).filter((n) => n.type === 'link');
  assert.equal(links.length, 1);
  assert.equal(links[0].href, 'https://example.com/');
  assert.equal(para.children[0].type, 'text');
  assert.ok(para.children[0].text.startsWith('[click](javascript:alert(1))'));
});

test('fenced code keeps its text exactly, markup included', () => {
  const blocks = parseMarkdown('```html\n<b onclick="x()">hi</b>\n  **not bold**\n```\nafter');
  assert.deepEqual(blocks[0], { type: 'code', lang: 'html', text: '<b onclick="x()">hi</b>\n  **not bold**' });
  assert.equal(blocks[1].type, 'paragraph');
});

test('an unclosed fence (mid-stream) runs to the end', () => {
  const blocks = parseMarkdown('text\n\n~~~\nline 1\nline 2');
  assert.equal(blocks[1].type, 'code');
  assert.equal(blocks[1].text, 'line 1\nline 2');
});

test('code block language is a plain token or nothing', () => {
  assert.equal(parseMarkdown('```py"><script>\nx\n```')[0].lang, '');
  assert.equal(parseMarkdown('```c++\nx\n```')[0].lang, 'c++');
});

test('headings, emphasis, inline code, strikethrough', () => {
  const [h, p] = parseMarkdown('## Title *x*\nSome **bold**, _em_, `a<b>`, ~~gone~~ and snake_case_name.');
  assert.equal(h.type, 'heading');
  assert.equal(h.level, 2);
  assert.equal(h.children[1].type, 'em');
  const types = p.children.map((n) => n.type);
  assert.deepEqual(types, ['text', 'strong', 'text', 'em', 'text', 'code', 'text', 'del', 'text']);
  assert.equal(p.children[5].text, 'a<b>');
  assert.equal(p.children.at(-1).text, ' and snake_case_name.');
});

test('nested bold and italic', () => {
  const [p] = parseMarkdown('***both*** and *a **b** c*');
  assert.equal(p.children[0].type, 'strong');
  assert.equal(p.children[0].children[0].type, 'em');
  assert.equal(p.children[2].type, 'em');
  assert.equal(p.children[2].children[1].type, 'strong');
});

test('lists: bullets, ordered with start, nesting, lazy lines', () => {
  const [list] = parseMarkdown('3. one\n4. two\n   - inner a\n   - inner b\n5. three\ncontinued');
  assert.equal(list.type, 'list');
  assert.equal(list.ordered, true);
  assert.equal(list.start, 3);
  assert.equal(list.items.length, 3);
  assert.equal(list.items[1][1].type, 'list');
  assert.equal(list.items[1][1].items.length, 2);
  const last = list.items[2][0].children.filter((n) => n.type === 'text').map((n) => n.text);
  assert.deepEqual(last, ['three', 'continued']);
  const [bullets, para] = parseMarkdown('- a\n- b\n\nParagraph');
  assert.equal(bullets.items.length, 2);
  assert.equal(para.type, 'paragraph');
});

test('two-space nesting under an ordered item', () => {
  const [list] = parseMarkdown('1. top\n  - sub');
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0][1].type, 'list');
});

test('blockquote, rule and table', () => {
  const blocks = parseMarkdown('> quoted *x*\n\n---\n\n| a | b |\n|:--|--:|\n| 1 | <i>2</i> |');
  assert.deepEqual(blocks.map((b) => b.type), ['blockquote', 'hr', 'table']);
  const table = blocks[2];
  assert.deepEqual(table.align, ['left', 'right']);
  assert.equal(table.rows[0][1][0].text, '<i>2</i>');
});

test('bare and angle-bracket URLs become links; trailing punctuation stays outside', () => {
  const nodes = parseInline('See https://example.com/x. Or <https://a.example/b>.');
  const links = nodes.filter((n) => n.type === 'link');
  assert.deepEqual(links.map((l) => l.href), ['https://example.com/x', 'https://a.example/b']);
  assert.equal(nodes[2].text, '. Or ');
});

test('citations and escapes stay text for the renderer to link', () => {
  const [p] = parseMarkdown('Answer [1] and [2]. \\*not em\\*');
  assert.equal(p.children.length, 1);
  assert.equal(p.children[0].text, 'Answer [1] and [2]. *not em*');
});

test('line breaks inside a paragraph', () => {
  const [p] = parseMarkdown('one  \ntwo');
  assert.deepEqual(p.children.map((n) => n.type), ['text', 'br', 'text']);
  assert.equal(p.children[0].text, 'one');
});

test('pathological input stays fast and bounded', () => {
  const started = Date.now();
  parseMarkdown('*a '.repeat(5000) + '['.repeat(5000) + '`'.repeat(3000) + '> '.repeat(200) + 'x');
  parseMarkdown('- '.repeat(500) + 'x');
  assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
});
