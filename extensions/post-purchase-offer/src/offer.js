// Reads the Encore server's answer to POST /api/post-purchase/offer into what the extension
// shows. Anything that does not look like an offer is no offer: the buyer sees nothing.

/** The first usable offer of an answer, or null. */
export function offerFromAnswer(answer) {
  if (!answer || answer.render !== true || !Array.isArray(answer.offers)) return null;
  const offer = answer.offers[0];
  return isUsableOffer(offer) ? offer : null;
}

export function isUsableOffer(offer) {
  return Boolean(
    offer &&
      typeof offer.decisionId === 'string' &&
      typeof offer.changesetToken === 'string' &&
      Array.isArray(offer.changes) &&
      offer.changes.length > 0 &&
      Array.isArray(offer.products) &&
      offer.products.length > 0 &&
      offer.products.every((product) => pricesOf(product) !== null),
  );
}

/** The prices in the buyer's currency when the server sent them, else in the shop's. */
export function pricesOf(product) {
  const prices = product?.presentmentPrices ?? product?.shopPrices;
  return prices && typeof prices.currencyCode === 'string' && prices.offerPrice != null ? prices : null;
}

/** Whether accepting starts a subscription, which needs the buyer's explicit consent. */
export function isSubscriptionOffer(offer) {
  return offer.changes.some((change) => change.type === 'add_subscription');
}
