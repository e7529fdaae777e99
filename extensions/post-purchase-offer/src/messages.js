// The extension's own strings in the buyer's language. The offer's copy (headline, body, button
// labels) comes already localized from the Encore server; these are the words around it.
import en from '../locales/en.default.json' with {type: 'json'};
import fr from '../locales/fr.json' with {type: 'json'};

const CATALOGS = {en, fr};

/** The language a locale such as "fr-CA" or "fr_FR" falls back to, if the extension speaks it. */
export function languageOf(locale) {
  const language = String(locale ?? '').toLowerCase().split(/[-_]/)[0];
  return language in CATALOGS ? language : 'en';
}

/** A translate function: t('savings', {amount: '€4.60'}) → "You save €4.60". */
export function messagesFor(locale) {
  const catalog = CATALOGS[languageOf(locale)];
  return (key, values = {}) =>
    (catalog[key] ?? en[key] ?? key).replace(/\{(\w+)\}/g, (placeholder, name) =>
      name in values ? String(values[name]) : placeholder,
    );
}
