import assert from 'node:assert/strict';
import {test} from 'node:test';
import {shouldRender, storedOffer} from '../src/should-render.js';
import {fakeCheckout, offer} from './support/fixtures.js';

test('renders and keeps the offer for Render when the server has one', async () => {
  const api = fakeCheckout();
  const result = await shouldRender(api, {fetchOffer: async () => offer()});
  assert.deepEqual(result, {render: true});
  assert.deepEqual(api.calls.storage, [{offer: offer()}]);
});

test('renders nothing when there is no offer, the server failed or timed out', async () => {
  const api = fakeCheckout();
  assert.deepEqual(await shouldRender(api, {fetchOffer: async () => null}), {render: false});
  assert.deepEqual(api.calls.storage, []);
});

test('Render only trusts a stored offer that looks like one', () => {
  assert.equal(storedOffer({initialData: {offer: offer()}}).decisionId, 'decision-1');
  assert.equal(storedOffer({initialData: {offer: {decisionId: 'x'}}}), null);
  assert.equal(storedOffer({initialData: undefined}), null);
  assert.equal(storedOffer(undefined), null);
});
