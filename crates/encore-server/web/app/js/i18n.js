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

/**
 * The message `key` with `{name}` placeholders filled from `vars`. `{name|one|other}` is the
 * wording that agrees with the number `vars[name]` in the current language (Intl.PluralRules:
 * 1 in English, 0 and 1 in French take `one`); a number already formatted ("1,234") counts.
 * A wording may hold `{name}` placeholders of its own.
 */
export function t(key, vars = {}) {
  const text = table[key] ?? en[key] ?? key;
  const rules = new Intl.PluralRules(current);
  const agreed = text.replace(/\{(\w+)\|([^|{}]*(?:\{\w+\}[^|{}]*)*)\|([^|{}]*(?:\{\w+\}[^|{}]*)*)\}/g, (whole, name, one, other) => {
    const value = vars[name];
    if (value === undefined) return whole;
    const n = typeof value === 'number' ? value : Number(String(value).replace(/[^\d.-]/g, ''));
    return rules.select(n) === 'one' ? one : other;
  });
  return agreed.replace(/\{(\w+)\}/g, (_, name) => (vars[name] === undefined ? `{${name}}` : String(vars[name])));
}

export const messageTables = tables;
