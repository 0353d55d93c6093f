// Building DOM nodes without HTML strings: text is always a text node, so nothing the API
// answers can become markup. No `style` attribute either (the Content-Security-Policy allows
// none): looks are classes of app.css.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

// Appends children: nodes as they are, strings and numbers as text; null, undefined and false
// are skipped, arrays flattened.
export function append(el, ...children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// h('td', {class: 'num'}, '3'): an HTML element.
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

// An SVG element.
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

// Replaces the children of `el`.
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A <time> element showing `text` for the RFC 3339 `iso`.
export function time(iso, text) {
  if (!iso) return '—';
  return h('time', { datetime: iso, title: iso }, text);
}
