// The offer engine in the browser: encore-engine (the offer Function's own code) compiled with
// wasm-bindgen (crates/encore-web, scripts/build-web-engine.sh). Values cross as JSON text;
// this module gives them their shapes. The wasm loads once, on first use.
import init, {decide as decideJson, price as priceJson, validate as validateJson} from '../engine/encore_web.js';

/**
 * @typedef {{path: string, message: string}} Fault  A configuration fault, as the admin API's.
 * @typedef {{code: string, campaignId?: string, stepId?: string, variantId?: string, detail: string}} Reason
 * @typedef {{currencyCode: string, originalPrice: string, offerPrice: string, savings: string, compareAtPrice?: string, savingsPercent: number}} OfferPrices
 * @typedef {{type: string, variantId?: string, quantity?: number, sellingPlanId?: string,
 *   discount?: {value: string, valueType: string, title: string}, initialShippingPrice?: string,
 *   recurringShippingPrice?: string, shippingOption?: {title?: string, presentmentTitle?: string},
 *   price?: string, title?: string, presentmentTitle?: string, namespace?: string, key?: string,
 *   value?: string, valueType?: string}} Change  A changeset change, field for field as Shopify's.
 * @typedef {{campaignId: string, stepId: string, experimentId?: string, armId?: string,
 *   nextStepOnAccept?: string, nextStepOnDecline?: string,
 *   products: {productId: string, variantId: string, title: string, variantTitle?: string, imageUrl?: string,
 *     quantity: number, sellingPlanId?: string, shopPrices: OfferPrices, presentmentPrices: OfferPrices}[],
 *   changes: Change[], copy: {locale: string, headline: string, body: string, acceptLabel: string, declineLabel: string}}} Offer
 * @typedef {{offer?: Offer, reasons: Reason[]}} Decision  The offer Function's output.
 * @typedef {{prices?: {quantity: number, originalPrice: string, offerPrice: string, savings: string, compareAtPrice?: string, savingsPercent: number},
 *   faults?: Fault[], priceError?: string}} PricePreview
 */

let ready = null;

/** Loads the engine (once); rejects when the browser cannot run it. */
export function loadEngine() {
  ready = ready || init();
  return ready;
}

/**
 * The offer Function's decision for `input`, an object in the Function's input shape
 * (input.graphql). Throws when the input is not in that shape.
 * @returns {Decision}
 */
export const decide = (input) => JSON.parse(decideJson(JSON.stringify(input)));

/**
 * The engine's faults for a whole configuration, amounts in the shop currency: what saving
 * it would refuse, in the same words. Empty when valid.
 * @returns {Fault[]}
 */
export const validate = (config, currencyCode) => JSON.parse(validateJson(JSON.stringify(config), currencyCode));

/**
 * One offer's price for a variant (decimal strings in the shop currency), as the engine prices
 * it: the offer's quantity and discount read by the engine, its one rounding rule.
 * @returns {PricePreview}
 */
export const price = (offer, unitPrice, compareAtPrice, currencyCode) =>
  JSON.parse(priceJson(JSON.stringify(offer), String(unitPrice), compareAtPrice ?? undefined, currencyCode));
