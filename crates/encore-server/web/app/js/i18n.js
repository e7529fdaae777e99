// UI strings: two message tables (English, French) and the locale App Bridge or Shopify's
// `locale` query parameter gives.
import en from './messages-en.js';
import fr from './messages-fr.js';

const tables = {en, fr};
let table = en;
let current = 'en';

/** The admin's language from a BCP 47 tag ("fr-CA" → "fr"); English when we have no table. */
export function languageOf(tag) {
  const language = String(tag || '').toLowerCase().split(/[-_]/)[0];
  return tables[language] ? language : 'en';
}

export function setLocale(tag) {
  current = languageOf(tag);
  table = tables[current];
  document.documentElement.lang = current;
}

export const locale = () => current;

/** The message `key` with `{name}` placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const text = table[key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] === undefined ? `{${name}}` : String(vars[name])));
}

export const messageTables = tables;
