// The offer engine in the browser: encore-engine (the offer Function's own code) compiled with
// wasm-bindgen (crates/encore-web, scripts/build-web-engine.sh). Values cross as JSON text;
// this module gives them their shapes. The wasm loads once, on first use; `warmEngine` also
// runs it once on a small purchase so that the merchant's first simulated decision does not
// pay for V8 compiling the engine's functions (it compiles wasm lazily, on first call).
import init, {decide as decideJson, price as priceJson, read_output as readOutput, validate as validateJson} from '../engine/encore_web.js';

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
 * @typedef {{offer?: string, reasons: string}} FunctionOutput  The offer Function's output: the offer and the reasons, one record each.
 * @typedef {{offer?: Offer, reasons: Reason[]}} Decision  The offer Function's output, its records read.
 * @typedef {{prices?: {quantity: number, originalPrice: string, offerPrice: string, savings: string, compareAtPrice?: string, savingsPercent: number},
 *   faults?: Fault[], priceError?: string}} PricePreview
 */

let ready = null;
let warm = null;

/** Loads the engine (once); rejects when the browser cannot run it. */
export function loadEngine() {
  ready = ready || init();
  return ready;
}

/**
 * A purchase that takes the engine through a whole decision: a campaign triggered by the
 * purchased product, a percentage discount under a cap, copy, and the changes of an offer.
 */
const WARM_UP_CONFIG = {
  version: 1,
  defaults: {guardrails: {maxOfferPrice: '50.00'}},
  campaigns: [{id: 'warm-up', triggers: {products: ['1'], purchaseValue: {min: '1.00'}}, steps: [{id: 'upsell', offer: {products: ['21'], discount: {percent: 15}, copy: {en: {headline: 'Warm up'}}}}]}],
};
const WARM_UP_RUNS = 5;
export const WARM_UP_INPUT = {
  locale: 'en',
  now: '2026-11-30T12:00:00Z',
  shop: {currencyCode: 'USD', metafield: {jsonValue: WARM_UP_CONFIG}},
  funnel: {campaignId: null, stepId: null, offersShown: 0, offersAccepted: 0, acceptedVariantIds: [], acceptedProductIds: []},
  customer: {id: '7', numberOfOrders: 2, amountSpent: {amount: '40.00', currencyCode: 'USD'}, tags: []},
  purchase: {
    referenceId: 'warm-up',
    customerId: '7',
    destinationCountryCode: 'US',
    totalPriceSet: {shopMoney: {amount: '60.00', currencyCode: 'USD'}, presentmentMoney: {amount: '60.00', currencyCode: 'USD'}},
    lines: [{quantity: 1, totalPriceSet: {shopMoney: {amount: '60.00'}}, product: {id: '1', variant: {id: '11'}, productType: 'Phone', vendor: 'Acme', tags: ['phone'], collectionIds: []}}],
  },
  offerStats: [],
  coPurchases: [{productId: '1', suggestedProductId: '2', liftPermille: 3000}],
  catalog: [{id: '21', title: 'Case', price: '12.99', compareAtPrice: '15.00', unitCost: null, requiresShipping: true, inventory: {tracked: true, available: 5, policy: 'DENY'}, sellingPlans: [], product: {id: '2', title: 'Case', imageUrl: null}}],
};

/**
 * Loads the engine and runs it once on a small purchase (decide, validate, price), once per
 * page: call it when the browser is idle, before the merchant asks for a simulation. Rejects
 * only when the engine cannot load; a warm-up the engine refuses costs nothing but its speed.
 */
export function warmEngine() {
  warm =
    warm ||
    loadEngine().then(() => {
      const started = performance.now();
      try {
        // More than once: V8 moves a wasm function to its optimizing compiler once it is hot.
        for (let i = 0; i < WARM_UP_RUNS; i++) decide(WARM_UP_INPUT);
        validate(WARM_UP_CONFIG, 'USD');
        price(WARM_UP_CONFIG.campaigns[0].steps[0].offer, '12.99', '15.00', 'USD');
      } catch {
        // The browser test holds the warm-up input to an offer; here it must not stop the admin.
      }
      performance.measure('encore:engine-warm-up', {start: started});
    });
  return warm;
}

/**
 * The offer Function's output for `input`, an object in the Function's input shape
 * (input.graphql), exactly as the Function writes it. Throws when the input is not in that shape.
 * @returns {FunctionOutput}
 */
export const functionOutput = (input) => JSON.parse(decideJson(JSON.stringify(input)));

/**
 * The offer Function's decision for `input`, its records read by the engine as the server
 * reads them.
 * @returns {Decision}
 */
export const decide = (input) => JSON.parse(readOutput(decideJson(JSON.stringify(input))));

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
