// The admin's pure modules in Node: authorized fetch and its one retry, the message tables,
// money for the price preview, fault paths, catalog warnings.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {createAuthorizedFetch, RETRY_HEADER} from '../app/js/auth.js';
import {catalogWarnings, indexCatalog} from '../app/js/catalog-warnings.js';
import {ancestors, jsonPath, setAt} from '../app/js/editor.js';
import en from '../app/js/messages-en.js';
import fr from '../app/js/messages-fr.js';
import {offerTotal, parseMinor, toDecimal} from '../app/js/money.js';

function fakeServer(answers) {
  const seen = [];
  const fetch = async (url, init) => {
    seen.push(init.headers.get('Authorization'));
    const [status, headers] = answers[Math.min(seen.length - 1, answers.length - 1)];
    return new Response('{}', {status, headers});
  };
  let n = 0;
  return {seen, authorizedFetch: createAuthorizedFetch({idToken: async () => `token-${++n}`, fetch})};
}

test('every request carries a fresh session token as a bearer', async () => {
  const {seen, authorizedFetch} = fakeServer([[200, {}]]);
  await authorizedFetch('/api/shop');
  await authorizedFetch('/api/shop');
  assert.deepEqual(seen, ['Bearer token-1', 'Bearer token-2']);
});

test('an invalid session answer is retried once with a new token', async () => {
  const {seen, authorizedFetch} = fakeServer([[401, {[RETRY_HEADER]: '1'}], [200, {}]]);
  assert.equal((await authorizedFetch('/api/shop')).status, 200);
  assert.deepEqual(seen, ['Bearer token-1', 'Bearer token-2']);
});

test('a second invalid session answer is returned, not retried forever', async () => {
  const {seen, authorizedFetch} = fakeServer([[401, {[RETRY_HEADER]: '1'}]]);
  assert.equal((await authorizedFetch('/api/shop')).status, 401);
  assert.equal(seen.length, 2);
});

test('a 401 without Shopify\'s retry header is not retried', async () => {
  const {seen, authorizedFetch} = fakeServer([[401, {}]]);
  assert.equal((await authorizedFetch('/api/shop')).status, 401);
  assert.equal(seen.length, 1);
});

test('the English and French tables have the same keys and every key the code names', () => {
  assert.deepEqual(Object.keys(fr).sort(), Object.keys(en).sort());
  const dir = join(import.meta.dirname, '../app/js');
  for (const file of readdirSync(dir)) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const [, key] of source.matchAll(/\bt\('([a-zA-Z.]+)'/g)) assert.ok(key in en, `${file} names ${key}, which en lacks`);
  }
  for (const [key, text] of Object.entries(en)) {
    const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(names(fr[key]), names(text), `${key} has the same placeholders in French`);
  }
});

test('the price preview rounds a percentage discount like the engine: half away from zero, on the line', () => {
  const usd = (s) => parseMinor(s, 2);
  assert.equal(toDecimal(offerTotal(usd('19.98'), 1, {percent: 25}, 2), 2), '14.98');
  assert.equal(offerTotal(1998n, 1, {percent: 25}, 0), 1498n, '25% off ¥1,998 saves ¥500');
  assert.equal(toDecimal(offerTotal(parseMinor('1.998', 3), 1, {percent: 25}, 3), 3), '1.498');
  assert.equal(toDecimal(offerTotal(usd('9.00'), 2, {amountOff: '5.00'}, 2), 2), '8.00');
  assert.equal(toDecimal(offerTotal(usd('12.00'), 1, {fixedPrice: '15.00'}, 2), 2), '12.00', 'never above the original');
  assert.equal(offerTotal(usd('12.00'), 1, {percent: 'x'}, 2), null);
  assert.equal(parseMinor('4.99', 0), null, 'JPY cannot write 4.99');
});

test('a fault path finds its field or the nearest field above it', () => {
  assert.equal(jsonPath(['campaigns', 2, 'steps', 0, 'offer']), '$.campaigns[2].steps[0].offer');
  assert.deepEqual(ancestors('$.campaigns[0].steps[1].offer.products[0]'), [
    '$.campaigns[0].steps[1].offer.products[0]',
    '$.campaigns[0].steps[1].offer.products',
    '$.campaigns[0].steps[1].offer',
    '$.campaigns[0].steps[1]',
    '$.campaigns[0].steps',
    '$.campaigns[0]',
    '$.campaigns',
  ]);
});

test('clearing a field removes its key and the objects left empty', () => {
  const campaign = {triggers: {purchaseValue: {min: '10.00'}, tags: ['a']}};
  setAt(campaign, ['triggers', 'purchaseValue', 'min'], undefined);
  assert.deepEqual(campaign, {triggers: {tags: ['a']}});
  setAt(campaign, ['triggers', 'tags'], []);
  assert.deepEqual(campaign, {});
});

test('catalog warnings name missing and out-of-stock variants and unknown trigger products', () => {
  const index = indexCatalog({
    products: [{id: '1', variants: [{id: '11', inventory: {tracked: true, available: 0, policy: 'DENY'}}, {id: '12', inventory: {tracked: true, available: 0, policy: 'CONTINUE'}}]}],
  });
  const config = {campaigns: [{id: 'c', triggers: {products: ['1', '9']}, steps: [{id: 's', offer: {products: ['11', ['12', '13']]}}]}]};
  assert.deepEqual(
    catalogWarnings(config, index).map((w) => `${w.kind}:${w.id}`),
    ['outOfStock:11', 'variantMissing:13', 'productMissing:9'],
  );
});
