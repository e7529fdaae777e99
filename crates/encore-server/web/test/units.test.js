// The admin's pure modules in Node: authorized fetch and its one retry, the message tables,
// money, the simulator's Function input, fault paths, catalog warnings.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {gzipSync} from 'node:zlib';
import {createAuthorizedFetch, RETRY_HEADER} from '../app/js/auth.js';
import {catalogWarnings, indexCatalog} from '../app/js/catalog-warnings.js';
import {ancestors, jsonPath, setAt} from '../app/js/editor.js';
import en from '../app/js/messages-en.js';
import fr from '../app/js/messages-fr.js';
import {parseMinor, toDecimal} from '../app/js/money.js';
import {simulationInput} from '../app/js/simulation.js';

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

test('money reads and writes decimal strings exactly in the currency\'s minor units', () => {
  assert.equal(parseMinor('19.98', 2), 1998n);
  assert.equal(toDecimal(parseMinor('1.998', 3), 3), '1.998');
  assert.equal(toDecimal(5n, 2), '0.05');
  assert.equal(parseMinor('4.99', 0), null, 'JPY cannot write 4.99');
});

test('a simulated purchase becomes the Function input the server would build, totals in minor units', () => {
  const catalog = {products: [{id: '1', title: 'Beans', tags: ['coffee'], variants: [{id: '11', title: '250 g', price: '9.99', inventory: {tracked: false, available: 0, policy: 'DENY'}, sellingPlans: [], requiresShipping: true}]}]};
  const {input} = simulationInput({config: {version: 1, campaigns: []}, catalog, currency: 'USD', exponent: 2, lines: [{variantId: '11', quantity: 3}], country: 'FR', orders: 0, locale: 'fr', now: new Date('2026-11-30T12:00:00.123Z')});
  assert.equal(input.now, '2026-11-30T12:00:00Z');
  assert.deepEqual(input.purchase.totalPriceSet.shopMoney, {amount: '29.97', currencyCode: 'USD'});
  assert.equal(input.purchase.lines[0].product.tags[0], 'coffee');
  assert.equal(input.purchase.destinationCountryCode, 'FR');
  assert.equal(input.customer, null, 'a guest has no customer');
  assert.equal(input.catalog[0].product.id, '1');
  assert.deepEqual(simulationInput({catalog, currency: 'USD', exponent: 2, lines: [{variantId: '99', quantity: 1}]}), {error: '99'});
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

test('the browser engine\'s wasm stays within its budget of 150 kB compressed', () => {
  const wasm = readFileSync(join(import.meta.dirname, '../app/engine/encore_web_bg.wasm'));
  const compressed = gzipSync(wasm, {level: 9}).length;
  assert.ok(compressed <= 150000, `encore_web_bg.wasm is ${compressed} B gzip -9, over 150000 B`);
  assert.ok(wasm.subarray(0, 4).equals(Buffer.from('\0asm')), 'it is a wasm module');
});
