// Money for display: decimal strings in the shop currency ↔ integer minor units (BigInt). Prices
// themselves come from the offer engine (engine.js): the admin has no copy of its rules.

/** Minor units of a decimal string ("19.99") with `exponent` fraction digits, or null. */
export function parseMinor(text, exponent) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(text ?? '').trim());
  if (!m) return null;
  const fraction = m[2] || '';
  if (fraction.length > exponent && /[^0]/.test(fraction.slice(exponent))) return null;
  return BigInt(m[1] + fraction.slice(0, exponent).padEnd(exponent, '0'));
}

/** The decimal string of `minor` units. */
export function toDecimal(minor, exponent) {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const text = exponent ? `${whole}.${digits.slice(digits.length - exponent)}` : whole;
  return negative ? `-${text}` : text;
}

/** `minor` units formatted for `locale` in `currency`, exactly (Intl formats decimal strings). */
export function formatMoney(minor, currency, exponent, locale) {
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(toDecimal(minor, exponent));
  } catch {
    return `${toDecimal(minor, exponent)} ${currency}`;
  }
}
