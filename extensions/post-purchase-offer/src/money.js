// Money as the buyer reads it. Amounts arrive as decimal strings ("18.40") from the Encore
// server and from Shopify; they are only formatted and added here, never priced.

/** Formats a decimal amount in a currency for a locale, e.g. ("18.4", "EUR", "fr") → "18,40 €". */
export function formatMoney(amount, currencyCode, locale) {
  const value = Number(amount);
  try {
    return new Intl.NumberFormat(locale, {style: 'currency', currency: currencyCode}).format(value);
  } catch {
    // An unknown locale or currency code: still show the buyer something exact.
    return `${amount} ${currencyCode}`;
  }
}

/** Adds decimal strings exactly ("0.10" + "0.2" → "0.30"), keeping the largest scale seen. */
export function addAmounts(amounts) {
  const scale = Math.max(0, ...amounts.map(decimalPlaces));
  const total = amounts.reduce((sum, amount) => sum + toScaledInteger(amount, scale), 0);
  return fromScaledInteger(total, scale);
}

/** Compares decimal strings exactly: -1, 0 or 1 ("18.4" and "18.40" are equal). */
export function compareAmounts(a, b) {
  const scale = Math.max(decimalPlaces(a), decimalPlaces(b));
  return Math.sign(toScaledInteger(a, scale) - toScaledInteger(b, scale));
}

function decimalPlaces(amount) {
  const dot = String(amount).indexOf('.');
  return dot === -1 ? 0 : String(amount).length - dot - 1;
}

function toScaledInteger(amount, scale) {
  const text = String(amount).trim();
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace(/^[-+]/, '').split('.');
  // Integers stay exact below 2^53 minor units, far beyond any order.
  const digits = Number(`${whole || '0'}${fraction.padEnd(scale, '0')}`);
  return negative ? -digits : digits;
}

function fromScaledInteger(value, scale) {
  const negative = value < 0;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}
