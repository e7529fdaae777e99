// The post-purchase page as a state machine, free of React and of Shopify's runtime so that it
// runs in Node tests as it runs in checkout.
//
//   checking ──Shopify's price agrees──▶ offer ──accept──▶ accepting ──added / out of stock──▶ next offer (or finished)
//     │                                    │                   ├──consent required──▶ offer (consent box flagged)
//     │                                    │                   └──payment problem / other error──▶ notice ──continue──▶ finished
//     │                                    └──decline──▶ declining ──▶ next offer (or finished)
//     └──price differs, or Shopify cannot calculate──▶ finished (reported as price_mismatch)
//
// Before an offer is shown, calculateChangeset must price it as Encore does (price-check.js): the
// buyer is charged what Shopify calculates. An offer that fails the check is never shown; the
// page finishes rather than asking for the next step, because what made Shopify's price differ
// (its reading of a fixed discount on several units, a Markets fixed price) is the shop's or the
// campaign's and would likely hit the next step too, while the buyer waits on a spinner.
//
// The next offer is the server's next funnel step, asked for after the buyer's choice has been
// reported; at most MAX_OFFERS offers are shown. Reporting never delays the buyer: the flow waits
// for a report only when it needs the next step or is about to finish unseen, and then no longer
// than one request timeout.
import {Outcome, outcomeOfApply} from './apply-outcome.js';
import {REQUEST_TIMEOUT_MS, settleWithin} from './deadline.js';
import {isSubscriptionOffer} from './offer.js';
import {checkOfferPrice} from './price-check.js';

/** Shopify's guidance, and its limit on accepted offers: no more than three in a row. */
export const MAX_OFFERS = 3;

export const Phase = Object.freeze({
  CHECKING: 'checking',
  OFFER: 'offer',
  ACCEPTING: 'accepting',
  DECLINING: 'declining',
  NOTICE: 'notice',
  FINISHED: 'finished',
});

/**
 * @param {object} options
 * @param {object} options.firstOffer  the offer ShouldRender stored
 * @param {{fetchOffer(): Promise<object|null>, reportEvent(event: object): Promise<boolean>}} options.client
 * @param {{calculateChangeset: Function, applyChangeset: Function, done: Function}} options.checkout
 *        the Render extension point's API
 * @param {(state: object) => void} [options.onChange]
 * @param {number} [options.timeoutMs]
 */
export function createOfferFlow({firstOffer, client, checkout, onChange = () => {}, timeoutMs = REQUEST_TIMEOUT_MS}) {
  let state = {
    phase: Phase.CHECKING,
    offer: null,
    offerNumber: 0,
    /** Shopify's calculatedPurchase for the offer, once its price checked out. */
    calculatedPurchase: null,
    buyerConsent: false,
    consentMissing: false,
    /** Why the offer could not be added, while phase is NOTICE. */
    notice: null,
  };

  function update(changes) {
    state = {...state, ...changes};
    onChange(state);
  }

  async function show(offer) {
    update({
      phase: Phase.CHECKING,
      offer,
      offerNumber: state.offerNumber + 1,
      calculatedPurchase: null,
      buyerConsent: false,
      consentMissing: false,
      notice: null,
    });
    const calculation = await calculateSafely(offer);
    const check = checkOfferPrice(offer, calculation);
    if (!check.ok) {
      const reported = client.reportEvent({
        decisionId: offer.decisionId,
        event: 'price_mismatch',
        currencyCode: check.currencyCode,
        expected: check.expected,
        calculated: check.calculated,
        status: calculation.status,
        errors: shopifyErrors(calculation),
      });
      // done() ends the page, and the report with it: let it go out first (bounded).
      await settleWithin(reported, timeoutMs, false);
      return finish();
    }
    update({phase: Phase.OFFER, calculatedPurchase: calculation.calculatedPurchase});
    client.reportEvent({decisionId: offer.decisionId, event: 'shown'});
  }

  async function calculateSafely(offer) {
    try {
      return (await checkout.calculateChangeset({changes: offer.changes})) ?? {status: 'unprocessed', errors: []};
    } catch (error) {
      return {status: 'unprocessed', errors: [{code: 'server_error', message: String(error?.message ?? error)}]};
    }
  }

  function setBuyerConsent(checked) {
    update({buyerConsent: Boolean(checked), consentMissing: false});
  }

  async function accept() {
    if (state.phase !== Phase.OFFER) return;
    const {offer} = state;
    const subscription = isSubscriptionOffer(offer);
    if (subscription && !state.buyerConsent) {
      update({consentMissing: true});
      return;
    }
    update({phase: Phase.ACCEPTING});
    const result = await applySafely(offer, subscription ? {buyerConsentToSubscriptions: true} : undefined);
    const outcome = outcomeOfApply(result);
    if (outcome === Outcome.CONSENT_REQUIRED) {
      update({phase: Phase.OFFER, buyerConsent: false, consentMissing: true});
      return;
    }
    const reported = client.reportEvent({
      decisionId: offer.decisionId,
      event: 'accepted',
      status: result.status,
      errors: shopifyErrors(result),
    });
    if (outcome === Outcome.ADDED || outcome === Outcome.OUT_OF_STOCK) {
      await moveOn(reported, result.changesetApplicationsRemaining);
    } else {
      update({phase: Phase.NOTICE, notice: outcome});
    }
  }

  function shopifyErrors(result) {
    return (result.errors ?? []).map(({code, message}) => ({code, message}));
  }

  async function applySafely(offer, options) {
    try {
      return await checkout.applyChangeset(offer.changesetToken, options);
    } catch (error) {
      return {status: 'unprocessed', errors: [{code: 'server_error', message: String(error?.message ?? error)}]};
    }
  }

  async function decline() {
    if (state.phase !== Phase.OFFER) return;
    update({phase: Phase.DECLINING});
    const reported = client.reportEvent({decisionId: state.offer.decisionId, event: 'declined'});
    await moveOn(reported);
  }

  /** Shows the server's next funnel step, or finishes when there is none (or no time for one). */
  async function moveOn(reported, applicationsRemaining) {
    if (state.offerNumber >= MAX_OFFERS || applicationsRemaining === 0) return finish();
    // The server advances the funnel on the report; without it, it would repeat this offer.
    const next = await settleWithin(
      reported.then((recorded) => (recorded ? client.fetchOffer() : null)),
      timeoutMs,
      null,
    );
    return next ? show(next) : finish();
  }

  async function finish() {
    if (state.phase === Phase.FINISHED) return;
    update({phase: Phase.FINISHED});
    try {
      await checkout.done();
    } catch {
      // Nothing left to do for the buyer: Shopify moves on to the thank-you page regardless.
    }
  }

  return {
    get state() {
      return state;
    },
    /** Shows the first offer, or finishes at once when there is none. */
    start() {
      return firstOffer ? show(firstOffer) : finish();
    },
    setBuyerConsent,
    accept,
    decline,
    finish,
  };
}
