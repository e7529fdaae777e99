// Checks Shopify's own price for an offer against the price Encore is about to show, before the
// buyer sees it. Encore carries its price in the changeset's ExplicitDiscount; how Shopify applies
// a `fixed_amount` discount to a line of several units, and what Shopify Markets' fixed
// per-country prices do to a converted price, is Shopify's to decide. What the buyer would be
// charged is what calculateChangeset says, so an offer is shown only when the two agree.
import {compareAmounts, addAmounts} from './money.js';
import {pricesOf} from './offer.js';

/**
 * Compares the offer's prices with calculateChangeset's result.
 *
 * The comparison is in the currency of the prices the buyer is shown (the offer's presentment
 * prices, else its shop prices), against the side of Shopify's MoneyBag in that currency. Per
 * offered variant, the sum of Shopify's `updatedLineItems[].totalPriceSet` ("the discounted total
 * price") for that variant must equal the offer's whole-quantity offer price.
 *
 * @returns {{ok: true} | {ok: false, currencyCode: string, expected: string, calculated: string|null}}
 *   `calculated` is null when Shopify could not calculate, or reported no line or no amount in
 *   the offer's currency for an offered variant.
 */
export function checkOfferPrice(offer, calculation) {
  const currencyCode = pricesOf(offer.products[0]).currencyCode;
  const expectedByVariant = new Map();
  for (const product of offer.products) {
    const prices = pricesOf(product);
    const key = String(product.variantId);
    const amounts = expectedByVariant.get(key) ?? [];
    amounts.push(prices.currencyCode === currencyCode ? prices.offerPrice : null);
    expectedByVariant.set(key, amounts);
  }
  const expected = addAmounts(offer.products.map((product) => pricesOf(product).offerPrice));
  const refused = (calculated) => ({ok: false, currencyCode, expected, calculated});

  const lines = calculation?.status === 'processed' ? calculation.calculatedPurchase?.updatedLineItems : null;
  if (!Array.isArray(lines)) return refused(null);

  const calculatedAmounts = [];
  let agree = true;
  for (const [variantId, want] of expectedByVariant) {
    const matching = lines.filter((line) => String(line?.variantId) === variantId);
    const amounts = matching.map((line) => amountIn(line.totalPriceSet, currencyCode));
    if (matching.length === 0 || amounts.includes(null) || want.includes(null)) return refused(null);
    const got = addAmounts(amounts);
    calculatedAmounts.push(got);
    if (compareAmounts(got, addAmounts(want)) !== 0) agree = false;
  }
  return agree ? {ok: true} : refused(addAmounts(calculatedAmounts));
}

/** The amount of a MoneyBag in `currencyCode` (the presentment side first), or null. */
function amountIn(moneyBag, currencyCode) {
  for (const money of [moneyBag?.presentmentMoney, moneyBag?.shopMoney]) {
    if (money?.currencyCode === currencyCode && money.amount != null) return String(money.amount);
  }
  return null;
}
