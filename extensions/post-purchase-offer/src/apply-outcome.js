// What an applyChangeset result means for the buyer. Shopify reports a status
// (processed | partially_processed | unprocessed) and error codes; the extension only needs to
// know which way to go next.

export const Outcome = Object.freeze({
  /** The offer joined the order (or already had): go on with the funnel. */
  ADDED: 'added',
  /** The item ran out: skip to the next offer, the buyer has nothing to fix. */
  OUT_OF_STOCK: 'out_of_stock',
  /** The buyer must tick the subscription consent box first: stay on the offer. */
  CONSENT_REQUIRED: 'consent_required',
  /** The payment method cannot be charged again: explain briefly, then finish. */
  PAYMENT_NOT_POSSIBLE: 'payment_not_possible',
  /** Anything else: say the offer could not be added, then finish. */
  NOT_ADDED: 'not_added',
});

const PAYMENT_ERRORS = new Set(['payment_required', 'unsupported_payment_method']);

/** @param {{status: string, errors?: {code: string}[]}} result */
export function outcomeOfApply(result) {
  const codes = new Set((result?.errors ?? []).map((error) => error.code));
  // A second press, or a retry after a lost answer: the order already has the offer.
  if (codes.has('changeset_already_applied')) return Outcome.ADDED;
  if (result?.status === 'processed' || result?.status === 'partially_processed') return Outcome.ADDED;
  if (codes.has('buyer_consent_required')) return Outcome.CONSENT_REQUIRED;
  if (codes.has('insufficient_inventory')) return Outcome.OUT_OF_STOCK;
  if ([...codes].some((code) => PAYMENT_ERRORS.has(code))) return Outcome.PAYMENT_NOT_POSSIBLE;
  return Outcome.NOT_ADDED;
}
