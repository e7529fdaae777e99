// Checkout::PostPurchase::ShouldRender: one request to the Encore server, bounded by the request
// timeout. No offer, an error or a timeout all mean the buyer goes straight to the thank-you page.
import {isUsableOffer} from './offer.js';

export async function shouldRender({storage}, client) {
  const offer = await client.fetchOffer();
  if (!offer) return {render: false};
  await storage.update({offer});
  return {render: true};
}

/** The offer ShouldRender kept for Render, or null. */
export function storedOffer(storage) {
  const offer = storage?.initialData?.offer;
  return isUsableOffer(offer) ? offer : null;
}
