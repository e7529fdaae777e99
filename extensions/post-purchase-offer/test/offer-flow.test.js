import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {Outcome} from '../src/apply-outcome.js';
import {MAX_OFFERS, Phase, createOfferFlow} from '../src/offer-flow.js';
import {fakeCheckout, offer, processed, processedCalculation, unprocessed} from './support/fixtures.js';

/** The Encore server as the flow sees it: a queue of next funnel steps and the events it got. */
function fakeEncore({nextOffers = [], recordsEvents = true} = {}) {
  const queue = [...nextOffers];
  const events = [];
  let offerRequests = 0;
  return {
    events,
    get offerRequests() {
      return offerRequests;
    },
    async fetchOffer() {
      offerRequests += 1;
      return queue.shift() ?? null;
    },
    async reportEvent(event) {
      events.push(event);
      return recordsEvents;
    },
  };
}

async function startedFlow({checkout = fakeCheckout(), client = fakeEncore(), firstOffer = offer(), timeoutMs} = {}) {
  const flow = createOfferFlow({firstOffer, client, checkout, timeoutMs});
  await flow.start();
  await settled();
  return {flow, checkout, client};
}

const settled = () => new Promise((resolve) => setImmediate(resolve));
const eventNames = (client) => client.events.map((event) => `${event.event}:${event.decisionId}`);

test('shows the first offer with Shopify’s cost breakdown once its price checks out, and reports it shown', async () => {
  const {flow, checkout, client} = await startedFlow();
  assert.equal(flow.state.phase, Phase.OFFER);
  assert.equal(flow.state.offerNumber, 1);
  assert.deepEqual(checkout.calls.calculateChangeset, [{changes: offer().changes}]);
  assert.deepEqual(flow.state.calculatedPurchase, processedCalculation().calculatedPurchase);
  assert.deepEqual(eventNames(client), ['shown:decision-1']);
});

test('the offer waits, unseen, for Shopify’s calculation', async () => {
  let calculated;
  const checkout = fakeCheckout({calculation: () => new Promise((resolve) => (calculated = resolve))});
  const client = fakeEncore();
  const flow = createOfferFlow({firstOffer: offer(), client, checkout});
  flow.start();
  await settled();
  assert.equal(flow.state.phase, Phase.CHECKING);
  assert.deepEqual(client.events, []);
  await flow.accept();
  assert.equal(checkout.calls.applyChangeset.length, 0, 'nothing can be accepted before the check');
  calculated(processedCalculation());
  await settled();
  assert.equal(flow.state.phase, Phase.OFFER);
  assert.deepEqual(eventNames(client), ['shown:decision-1']);
});

test('an offer Shopify prices differently is never shown: reported as price_mismatch, then done()', async () => {
  // Two units at 18.40 for both, with the fixed discount applied per unit by Shopify.
  const twoUnits = offer({quantity: 2, presentmentOfferPrice: '36.80'});
  const checkout = fakeCheckout({calculation: processedCalculation({lineTotal: '27.60', quantity: 2})});
  const {flow, client} = await startedFlow({checkout, firstOffer: twoUnits});
  assert.equal(flow.state.phase, Phase.FINISHED);
  assert.equal(checkout.calls.done, 1);
  assert.deepEqual(client.events, [
    {
      decisionId: 'decision-1',
      event: 'price_mismatch',
      currencyCode: 'EUR',
      expected: '36.80',
      calculated: '27.60',
      status: 'processed',
      errors: [],
    },
  ]);
  assert.equal(client.offerRequests, 0, 'no next step is asked for');
});

test('an offer Shopify cannot calculate is not shown either: reported with Shopify’s errors', async () => {
  const checkout = fakeCheckout({calculation: {status: 'unprocessed', errors: [{code: 'insufficient_inventory', message: 'x'}]}});
  const {flow, client} = await startedFlow({checkout});
  assert.equal(flow.state.phase, Phase.FINISHED);
  assert.equal(checkout.calls.done, 1);
  assert.deepEqual(client.events, [
    {
      decisionId: 'decision-1',
      event: 'price_mismatch',
      currencyCode: 'EUR',
      expected: '18.40',
      calculated: null,
      status: 'unprocessed',
      errors: [{code: 'insufficient_inventory', message: 'x'}],
    },
  ]);
});

test('a mismatch on the next step finishes the page too', async () => {
  const next = offer({decisionId: 'decision-2', stepId: 'downsell'});
  const client = fakeEncore({nextOffers: [next]});
  let calls = 0;
  const checkout = fakeCheckout({
    calculation: () => (++calls === 1 ? processedCalculation() : processedCalculation({lineTotal: '18.39'})),
  });
  const {flow} = await startedFlow({checkout, client});
  await flow.decline();
  await settled();
  assert.equal(flow.state.phase, Phase.FINISHED);
  assert.deepEqual(eventNames(client), ['shown:decision-1', 'declined:decision-1', 'price_mismatch:decision-2']);
  assert.equal(checkout.calls.done, 1);
});

test('a slow price report holds done() back by at most the request timeout', async () => {
  const client = fakeEncore();
  client.reportEvent = async () => new Promise(() => {});
  const checkout = fakeCheckout({calculation: processedCalculation({lineTotal: '1.00'})});
  const started = Date.now();
  await startedFlow({checkout, client, timeoutMs: 30});
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(checkout.calls.done, 1);
  assert.ok(Date.now() - started < 1000);
});

test('accept applies the signed changeset, reports it and finishes when the funnel ends', async () => {
  const {flow, checkout, client} = await startedFlow();
  await flow.accept();
  assert.deepEqual(checkout.calls.applyChangeset, [{token: 'changeset-token-for-decision-1', options: undefined}]);
  assert.deepEqual(client.events[1], {decisionId: 'decision-1', event: 'accepted', status: 'processed', errors: []});
  assert.equal(client.offerRequests, 1);
  assert.equal(flow.state.phase, Phase.FINISHED);
  assert.equal(checkout.calls.done, 1);
});

test('accept goes on to the funnel’s next offer after reporting the acceptance', async () => {
  const client = fakeEncore({nextOffers: [offer({decisionId: 'decision-2', stepId: 'cross-sell'})]});
  const {flow, checkout} = await startedFlow({client});
  await flow.accept();
  await settled();
  assert.equal(flow.state.phase, Phase.OFFER);
  assert.equal(flow.state.offer.decisionId, 'decision-2');
  assert.deepEqual(eventNames(client), ['shown:decision-1', 'accepted:decision-1', 'shown:decision-2']);
  assert.equal(checkout.calls.done, 0);
});

test('decline reports it and shows the downsell; declining that finishes', async () => {
  const downsell = offer({decisionId: 'decision-2', stepId: 'downsell'});
  const client = fakeEncore({nextOffers: [downsell]});
  const {flow, checkout} = await startedFlow({client});
  await flow.decline();
  await settled();
  assert.equal(flow.state.offer.stepId, 'downsell');
  assert.equal(flow.state.offerNumber, 2);
  await flow.decline();
  assert.deepEqual(eventNames(client), ['shown:decision-1', 'declined:decision-1', 'shown:decision-2', 'declined:decision-2']);
  assert.equal(flow.state.phase, Phase.FINISHED);
  assert.equal(checkout.calls.applyChangeset.length, 0);
  assert.equal(checkout.calls.done, 1);
});

test(`shows at most ${MAX_OFFERS} offers, then done()`, async () => {
  const endless = Array.from({length: 10}, (_, i) => offer({decisionId: `decision-${i + 2}`}));
  const client = fakeEncore({nextOffers: endless});
  const {flow, checkout} = await startedFlow({client});
  for (let shown = 1; shown <= MAX_OFFERS; shown += 1) {
    assert.equal(flow.state.offerNumber, shown);
    await flow.decline();
    await settled();
  }
  assert.equal(flow.state.phase, Phase.FINISHED);
  assert.equal(client.offerRequests, MAX_OFFERS - 1);
  assert.equal(checkout.calls.done, 1);
});

test('finishes when Shopify allows no further changeset', async () => {
  const client = fakeEncore({nextOffers: [offer({decisionId: 'decision-2'})]});
  const {flow, checkout} = await startedFlow({client, checkout: fakeCheckout({applyResult: processed(0)})});
  await flow.accept();
  assert.equal(client.offerRequests, 0);
  assert.equal(checkout.calls.done, 1);
});

test('a choice the server did not record ends the page instead of repeating the offer', async () => {
  const client = fakeEncore({nextOffers: [offer()], recordsEvents: false});
  const {flow, checkout} = await startedFlow({client});
  await flow.decline();
  assert.equal(client.offerRequests, 0);
  assert.equal(checkout.calls.done, 1);
});

test('a slow next step costs the buyer at most one request timeout', async () => {
  const client = {...fakeEncore(), reportEvent: async () => true, fetchOffer: () => new Promise(() => {})};
  const {flow, checkout} = await startedFlow({client, timeoutMs: 50});
  const started = Date.now();
  await flow.decline();
  assert.ok(Date.now() - started < 500);
  assert.equal(checkout.calls.done, 1);
});

test('done() is called once, however often the buyer presses', async () => {
  const {flow, checkout} = await startedFlow();
  await Promise.all([flow.decline(), flow.decline(), flow.accept(), flow.finish()]);
  assert.equal(checkout.calls.done, 1);
  assert.equal(checkout.calls.applyChangeset.length, 0);
});

test('without a stored offer Render finishes at once', async () => {
  const checkout = fakeCheckout();
  const flow = createOfferFlow({firstOffer: null, client: fakeEncore(), checkout});
  await flow.start();
  assert.equal(checkout.calls.done, 1);
});

describe('subscription offers', () => {
  test('are not applied until the buyer ticks consent, then with buyerConsentToSubscriptions', async () => {
    const {flow, checkout} = await startedFlow({firstOffer: offer({subscription: true})});
    await flow.accept();
    assert.equal(checkout.calls.applyChangeset.length, 0);
    assert.equal(flow.state.consentMissing, true);
    flow.setBuyerConsent(true);
    assert.equal(flow.state.consentMissing, false);
    await flow.accept();
    assert.deepEqual(checkout.calls.applyChangeset[0].options, {buyerConsentToSubscriptions: true});
  });

  test('buyer_consent_required brings the buyer back to the consent box', async () => {
    const checkout = fakeCheckout({applyResult: unprocessed('buyer_consent_required')});
    const {flow, client} = await startedFlow({checkout, firstOffer: offer({subscription: true})});
    flow.setBuyerConsent(true);
    await flow.accept();
    assert.equal(flow.state.phase, Phase.OFFER);
    assert.equal(flow.state.consentMissing, true);
    assert.equal(flow.state.buyerConsent, false);
    assert.deepEqual(eventNames(client), ['shown:decision-1']);
  });
});

describe('applyChangeset outcomes', () => {
  test('insufficient_inventory moves on to the next offer and reports the failure', async () => {
    const client = fakeEncore({nextOffers: [offer({decisionId: 'decision-2'})]});
    const checkout = fakeCheckout({applyResult: unprocessed('insufficient_inventory')});
    const {flow} = await startedFlow({client, checkout});
    await flow.accept();
    await settled();
    assert.equal(flow.state.phase, Phase.OFFER);
    assert.equal(flow.state.offer.decisionId, 'decision-2');
    assert.deepEqual(client.events[1], {
      decisionId: 'decision-1',
      event: 'accepted',
      status: 'unprocessed',
      errors: [{code: 'insufficient_inventory', message: 'insufficient_inventory from Shopify'}],
    });
  });

  for (const code of ['payment_required', 'unsupported_payment_method']) {
    test(`${code} explains briefly, then finishes when the buyer continues`, async () => {
      const client = fakeEncore({nextOffers: [offer({decisionId: 'decision-2'})]});
      const {flow, checkout} = await startedFlow({client, checkout: fakeCheckout({applyResult: unprocessed(code)})});
      await flow.accept();
      assert.equal(flow.state.phase, Phase.NOTICE);
      assert.equal(flow.state.notice, Outcome.PAYMENT_NOT_POSSIBLE);
      assert.equal(client.events[1].errors[0].code, code);
      assert.equal(checkout.calls.done, 0);
      await flow.finish();
      assert.equal(checkout.calls.done, 1);
      assert.equal(client.offerRequests, 0);
    });
  }

  test('changeset_already_applied is not an error for the buyer', async () => {
    const {flow, checkout, client} = await startedFlow({
      checkout: fakeCheckout({applyResult: unprocessed('changeset_already_applied')}),
    });
    await flow.accept();
    assert.equal(flow.state.notice, null);
    assert.equal(flow.state.phase, Phase.FINISHED);
    assert.equal(client.events[1].event, 'accepted');
    assert.equal(checkout.calls.done, 1);
  });

  test('partially_processed counts as added', async () => {
    const result = {status: 'partially_processed', errors: [{code: 'server_error', message: 'metafield'}], changesetApplicationsRemaining: 2};
    const {flow, client} = await startedFlow({checkout: fakeCheckout({applyResult: result})});
    await flow.accept();
    assert.equal(flow.state.phase, Phase.FINISHED);
    assert.equal(client.events[1].status, 'partially_processed');
  });

  const otherErrors = [
    'invalid_request',
    'server_error',
    'subscription_vaulting_error',
    'subscription_contract_creation_error',
    'subscription_no_shipping_address_error',
    'subscription_limit_error',
    'order_released_error',
  ];
  for (const code of otherErrors) {
    test(`${code} says the offer could not be added, then finishes`, async () => {
      const {flow, checkout, client} = await startedFlow({checkout: fakeCheckout({applyResult: unprocessed(code)})});
      await flow.accept();
      assert.equal(flow.state.phase, Phase.NOTICE);
      assert.equal(flow.state.notice, Outcome.NOT_ADDED);
      assert.deepEqual(client.events[1].errors.map((error) => error.code), [code]);
      await flow.finish();
      assert.equal(checkout.calls.done, 1);
    });
  }

  test('unprocessed without any error code, or a throwing applyChangeset, is "not added"', async () => {
    for (const applyResult of [{status: 'unprocessed', errors: []}, () => Promise.reject(new Error('network'))]) {
      const {flow, client} = await startedFlow({checkout: fakeCheckout({applyResult})});
      await flow.accept();
      assert.equal(flow.state.notice, Outcome.NOT_ADDED);
      assert.equal(client.events[1].status, 'unprocessed');
    }
  });
});
