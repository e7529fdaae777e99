// The numbers the buyer sees before paying, in the buyer's (presentment) currency.
import {addAmounts} from './money.js';

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

/** What pressing "Pay now" charges: Shopify's total for the offer. */
export function amountDue(calculatedPurchase) {
  const {total, currencyCode} = costBreakdown(calculatedPurchase);
  return {amount: total, currencyCode};
}
