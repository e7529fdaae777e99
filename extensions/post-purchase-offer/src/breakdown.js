// The numbers the buyer sees before paying, in the buyer's (presentment) currency.
import {addAmounts} from './money.js';
import {pricesOf} from './offer.js';

/** Shopify's own cost of the offer, from calculateChangeset's calculatedPurchase. */
export function costBreakdown(calculatedPurchase) {
  const presentment = (moneyBag) => moneyBag.presentmentMoney;
  const sum = (lines) => addAmounts(lines.map((line) => presentment(line.priceSet ?? line.totalPriceSet).amount));
  const due = presentment(calculatedPurchase.totalOutstandingSet);
  return {
    currencyCode: due.currencyCode,
    subtotal: addAmounts(calculatedPurchase.updatedLineItems.map((line) => presentment(line.totalPriceSet).amount)),
    shipping: sum(calculatedPurchase.addedShippingLines ?? []),
    taxes: sum(calculatedPurchase.addedTaxLines ?? []),
    total: due.amount,
  };
}

/**
 * What pressing "Pay now" charges: Shopify's total once calculated, until then the offer prices
 * (per unit, times quantity) before taxes and shipping.
 */
export function amountDue(offer, breakdown) {
  if (breakdown.status === 'ready') {
    const {total, currencyCode} = costBreakdown(breakdown.purchase);
    return {amount: total, currencyCode};
  }
  const unitPrices = offer.products.flatMap((product) =>
    Array.from({length: product.quantity ?? 1}, () => pricesOf(product).offerPrice),
  );
  return {amount: addAmounts(unitPrices), currencyCode: pricesOf(offer.products[0]).currencyCode};
}
