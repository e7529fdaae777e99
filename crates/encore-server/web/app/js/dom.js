// Building DOM without a framework: h(tag, props, ...children), and labelled form fields.

/** Creates an element; props starting with "on" are listeners, others attributes/properties. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping null/undefined/false and flattening arrays. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let nextId = 0;
/** A unique element id for label/control pairs. */
export const uid = (prefix = 'f') => `${prefix}-${++nextId}`;

/**
 * A labelled control: `control` gets an id, the label points at it, and an (initially empty)
 * error line is tied to it with aria-describedby so faults shown later are announced.
 */
export function field(label, control, {hint, path} = {}) {
  const id = control.id || uid();
  control.id = id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  if (path) control.dataset.path = path;
  return h(
    'div',
    {class: 'field'},
    h('label', {for: id}, label),
    control,
    hint ? h('p', {class: 'hint', id: hintId}, hint) : null,
    h('p', {class: 'field-error', id: errorId, role: 'alert', hidden: true}),
  );
}

/** Replaces the element's children (nullish children skipped, as in h). */
export function put(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}
