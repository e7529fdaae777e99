import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createEncoreClient} from '../src/encore-client.js';
import {offer, offerAnswer} from './support/fixtures.js';

const SERVER = 'https://encore.test';

function fakeFetch(answer) {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({url, init, body: JSON.parse(init.body)});
    return typeof answer === 'function' ? answer(url, init) : answer;
  };
  return {fetch, requests};
}

const json = (status, body) => ({ok: status >= 200 && status < 300, status, json: async () => body});

test('asks for the offer with the Shopify token in the JSON body, not in a header', async () => {
  const {fetch, requests} = fakeFetch(json(200, offerAnswer(offer())));
  const client = createEncoreClient({serverUrl: SERVER, token: 'shopify-token', fetch});
  const answer = await client.fetchOffer();
  assert.equal(answer.decisionId, 'decision-1');
  assert.equal(requests[0].url, 'https://encore.test/api/post-purchase/offer');
  assert.equal(requests[0].init.method, 'POST');
  assert.deepEqual(requests[0].init.headers, {'Content-Type': 'application/json'});
  assert.deepEqual(requests[0].body, {token: 'shopify-token'});
});

test('no offer when the server says not to render, errs, or answers something else', async () => {
  const answers = [
    json(200, {render: false, offers: [], reasons: [{code: 'TRIGGER_PRODUCTS_NOT_MATCHED'}]}),
    json(200, {render: true, offers: [{decisionId: 'x'}]}),
    json(200, 'not an answer'),
    json(401, {error: 'bad token'}),
    json(404, {error: 'unknown shop'}),
    json(500, {}),
  ];
  for (const answer of answers) {
    const client = createEncoreClient({serverUrl: SERVER, token: 't', fetch: fakeFetch(answer).fetch});
    assert.equal(await client.fetchOffer(), null, JSON.stringify(answer));
  }
  const failing = createEncoreClient({serverUrl: SERVER, token: 't', fetch: async () => Promise.reject(new TypeError('offline'))});
  assert.equal(await failing.fetchOffer(), null);
});

test('a server that does not answer in time costs the buyer only the timeout', async () => {
  let signal;
  const fetch = (url, init) => {
    signal = init.signal;
    return new Promise(() => {});
  };
  const client = createEncoreClient({serverUrl: SERVER, token: 't', fetch, timeoutMs: 50});
  const started = Date.now();
  assert.equal(await client.fetchOffer(), null);
  assert.ok(Date.now() - started < 500);
  assert.equal(signal.aborted, true);
});

test('an unconfigured server URL means no offer and no request', async () => {
  const {fetch, requests} = fakeFetch(json(200, offerAnswer(offer())));
  const client = createEncoreClient({serverUrl: null, token: 't', fetch});
  assert.equal(await client.fetchOffer(), null);
  assert.equal(requests.length, 0);
});

test('reports events and tells whether the server took them, never throwing', async () => {
  const {fetch, requests} = fakeFetch(json(200, {ok: true}));
  const client = createEncoreClient({serverUrl: SERVER, token: 'shopify-token', fetch});
  const event = {decisionId: 'decision-1', event: 'accepted', status: 'processed', errors: []};
  assert.equal(await client.reportEvent(event), true);
  assert.equal(requests[0].url, 'https://encore.test/api/post-purchase/events');
  assert.deepEqual(requests[0].body, {...event, token: 'shopify-token'});

  const rejecting = createEncoreClient({serverUrl: SERVER, token: 't', fetch: fakeFetch(json(413, {})).fetch});
  assert.equal(await rejecting.reportEvent(event), false);
  const hanging = createEncoreClient({serverUrl: SERVER, token: 't', fetch: () => new Promise(() => {}), timeoutMs: 20});
  assert.equal(await hanging.reportEvent(event), false);
});
