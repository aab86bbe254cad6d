// Shared by the reference pages: build DOM nodes, with every value as text (never HTML).
'use strict';

/** `el('td', { class: 'num', text: '1.5' }, child…)`: `text` sets textContent, other keys are attributes. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- used by rates.js and admin.js, loaded after this file
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}
