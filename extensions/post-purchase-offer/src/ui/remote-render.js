// A few lines in place of React: JSX (through the `h` pragma) describes the page, and `renderer`
// brings a remote-ui root in line with that description through the RemoteRoot API itself
// (createComponent, createText, appendChild, insertChildBefore, removeChild, updateProps,
// updateText). Components that stay on the page are updated in place, not re-created, so the
// checkout keeps its own state (focus, loaded images) between updates, as it did under React.
//
// Only the calls of @remote-ui/core 2.1, which Shopify's post-purchase runtime provides, are
// used (no replaceChildren). Children are matched by position: enough for this page, whose
// optional parts sit in fixed places.

/**
 * The JSX factory. A function type is a plain component: it is called at once with its props
 * (and `children`) and returns more of the description.
 */
export function h(type, props, ...children) {
  props = props ?? {};
  if (typeof type === 'function') return type({...props, children});
  return {type, props, children: flatten(children)};
}

/** What JSX children and component results become: element descriptions and strings. */
function flatten(children, into = []) {
  for (const child of children) {
    if (Array.isArray(child)) flatten(child, into);
    else if (child != null && typeof child !== 'boolean') into.push(typeof child === 'object' ? child : String(child));
  }
  return into;
}

/**
 * A render function for `root`: call it with the page's description (an element, a list, or
 * null for an empty page) each time the page changes.
 */
export function renderer(root) {
  let mounted = [];
  return (description) => {
    mounted = reconcile(root, root, mounted, flatten([description]));
  };
}

function reconcile(root, parent, current, next) {
  const result = next.map((description, index) => {
    const existing = current[index];
    if (existing && sameKind(existing.description, description)) return update(root, existing, description);
    const created = create(root, description);
    if (existing) {
      parent.insertChildBefore(created.node, existing.node);
      parent.removeChild(existing.node);
    } else {
      parent.appendChild(created.node);
    }
    return created;
  });
  for (const removed of current.slice(next.length)) parent.removeChild(removed.node);
  return result;
}

const isText = (description) => typeof description === 'string';
const sameKind = (a, b) => (isText(a) ? isText(b) : !isText(b) && a.type === b.type);

function create(root, description) {
  if (isText(description)) return {description, node: root.createText(description)};
  const children = description.children.map((child) => create(root, child));
  const node = root.createComponent(
    description.type,
    description.props,
    children.map((child) => child.node),
  );
  return {description, node, children};
}

function update(root, existing, description) {
  const {node} = existing;
  if (isText(description)) {
    if (description !== existing.description) node.updateText(description);
    return {description, node};
  }
  const previous = existing.description.props;
  const changed = {};
  let anyChange = false;
  for (const key of new Set([...Object.keys(previous), ...Object.keys(description.props)])) {
    if (previous[key] !== description.props[key]) {
      changed[key] = description.props[key];
      anyChange = true;
    }
  }
  if (anyChange) node.updateProps(changed);
  const children = reconcile(root, node, existing.children, description.children);
  return {description, node, children};
}
