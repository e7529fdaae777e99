// A search-as-you-type picker over the synced catalog (GET /api/catalog/search), beside a
// comma-separated list field: typing asks the server (debounced, the latest answer wins), the
// arrow keys move through the matches, Enter or a click adds the match's value to the list.
// An ARIA combobox with a listbox popup, so screen readers announce the matches.
import {h, put, uid} from './dom.js';
import {t} from './i18n.js';

/** Milliseconds of quiet typing before asking the server. */
export const DEBOUNCE_MS = 150;

/** `list` (comma-separated text) with `value` added once. */
export function addToList(text, value) {
  const items = String(text || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return (items.includes(value) ? items : [...items, value]).join(', ');
}

/**
 * The picker for `kind` (products, variants, collections, tags, types, vendors), adding to the
 * text `control` (whose `input` event the editor listens to). `search(kind, q)` answers
 * {matches: [{value, label, detail?, products?}]}.
 */
export function catalogPicker(kind, control, label, search) {
  const listId = uid('picker-list');
  const box = h('input', {
    type: 'search',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': listId,
    'aria-label': t('editor.searchCatalog', {what: label}),
    placeholder: t('editor.searchPlaceholder'),
    autocomplete: 'off',
    class: 'picker-search',
  });
  const list = h('ul', {id: listId, role: 'listbox', class: 'picker-list', hidden: true, 'aria-label': t('editor.matchesFor', {what: label})});
  let matches = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    box.setAttribute('aria-expanded', 'false');
    box.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const choose = (m) => {
    control.value = addToList(control.value, m.value);
    control.dispatchEvent(new Event('input', {bubbles: true}));
    box.value = '';
    close();
    box.focus();
  };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, n) => li.setAttribute('aria-selected', String(n === i)));
    if (i >= 0 && list.children[i]) {
      box.setAttribute('aria-activedescendant', list.children[i].id);
      list.children[i].scrollIntoView({block: 'nearest'});
    }
  };
  const show = (found) => {
    matches = found;
    put(
      list,
      found.length === 0
        ? h('li', {class: 'picker-empty', role: 'option', 'aria-disabled': 'true'}, t('editor.noMatch'))
        : found.map((m, i) =>
            h(
              'li',
              {id: `${listId}-${i}`, role: 'option', 'aria-selected': 'false', 'data-value': m.value, onMousedown: (e) => e.preventDefault(), onClick: () => choose(m)},
              h('span', {}, m.label),
              m.products !== undefined ? h('span', {class: 'muted'}, t('editor.productCount', {count: m.products})) : m.detail ? h('span', {class: 'muted'}, m.detail) : null,
              m.value !== m.label ? h('code', {}, m.value) : null,
            ),
          ),
    );
    list.hidden = false;
    box.setAttribute('aria-expanded', 'true');
    highlight(found.length ? 0 : -1);
  };
  const ask = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const answer = await search(kind, box.value.trim());
        if (mine === asked && document.activeElement === box) show(answer.matches);
      } catch {
        if (mine === asked) show([]);
      }
    }, DEBOUNCE_MS);
  };
  box.addEventListener('input', ask);
  box.addEventListener('focus', ask);
  box.addEventListener('blur', () => setTimeout(close, 100));
  box.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden) return ask();
      const n = matches.length;
      if (n) highlight((active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (e.key === 'Enter') {
      // Never submits the editor's form from the search box.
      e.preventDefault();
      if (!list.hidden && matches[active]) choose(matches[active]);
    } else if (e.key === 'Escape' && !list.hidden) {
      e.preventDefault();
      close();
    }
  });
  return h('div', {class: 'picker'}, box, list);
}
