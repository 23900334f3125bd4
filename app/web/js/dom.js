// DOM building without markup strings: every text goes through textContent/createTextNode and every
// attribute through setAttribute, so untrusted data never becomes HTML.

/**
 * el('button', {class: 'x', type: 'button', dataset: {testid: 'send'}, on: {click: fn}}, 'Send', child)
 * Attribute values are set as they are; `hidden`, `disabled`, ... accept booleans.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') {
      for (const [key, v] of Object.entries(value)) if (v !== undefined && v !== null) node.dataset[key] = String(v);
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === 'class') {
      node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

/** Append children: nodes as they are, strings and numbers as text nodes, arrays flattened. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replaceChildren(node, ...children) {
  clear(node);
  return append(node, children);
}

/** A visually hidden label text for screen readers. */
export function srOnly(text) {
  return el('span', { class: 'visually-hidden' }, text);
}
