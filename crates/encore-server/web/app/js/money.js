// Money for display: decimal strings in the shop currency ↔ integer minor units (BigInt), and the
// price an offer's discount gives, for the editor's preview. The rules are docs/campaigns.md's
// ("Money and rounding"); the in-browser engine (wasm) will replace this preview with the
// Function's own answer.

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

/** Basis points of a percentage (15, "12.5"), or null. */
function basisPoints(percent) {
  const bp = parseMinor(String(percent), 2);
  return bp !== null && bp <= 10000n ? bp : null;
}

/**
 * The offer's total price for `quantity` units of a variant priced `priceMinor`, after
 * `discount` ({percent} | {amountOff} | {fixedPrice}); null when the discount cannot be read.
 * A percentage rounds the amount saved on the line, half away from zero; a price is never
 * negative nor above the original.
 */
export function offerTotal(priceMinor, quantity, discount, exponent) {
  const q = BigInt(quantity);
  const original = priceMinor * q;
  if (!discount || Object.keys(discount).filter((k) => k !== 'title').length === 0) return original;
  if (discount.percent !== undefined) {
    const bp = basisPoints(discount.percent);
    if (bp === null) return null;
    const saved = (original * bp * 2n + 10000n) / 20000n;
    return original - saved;
  }
  if (discount.amountOff !== undefined) {
    const off = parseMinor(discount.amountOff, exponent);
    if (off === null) return null;
    const unit = priceMinor > off ? priceMinor - off : 0n;
    return unit * q;
  }
  if (discount.fixedPrice !== undefined) {
    const fixed = parseMinor(discount.fixedPrice, exponent);
    if (fixed === null) return null;
    return (fixed < priceMinor ? fixed : priceMinor) * q;
  }
  return null;
}
