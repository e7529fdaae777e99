// The admin's pure modules in Node: authorized fetch and its one retry, the message tables,
// money, the simulator's Function input, fault paths, catalog warnings, analytics' figures,
// history's words.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {test} from 'node:test';
import {gzipSync} from 'node:zlib';
import {createAuthorizedFetch, RETRY_HEADER} from '../app/js/auth.js';
import {catalogWarnings, indexCatalog} from '../app/js/catalog-warnings.js';
import {ancestors, jsonPath, setAt} from '../app/js/editor.js';
import {setLocale, t} from '../app/js/i18n.js';
import en from '../app/js/messages-en.js';
import fr from '../app/js/messages-fr.js';
import {parseMinor, toDecimal} from '../app/js/money.js';
import {purchasedProducts, simulationInput} from '../app/js/simulation.js';
import {daysBetween, loadFigures, minorOf, perCampaign, perDay, perOffer, refundGuardrail} from '../app/js/analytics-data.js';
import {lastDays, verdict} from '../app/js/analytics.js';
import {actorText, changeText} from '../app/js/history.js';
import {addToList} from '../app/js/catalog-picker.js';

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
    const names = (s) => [...new Set([...s.matchAll(/\{(\w+)[}|]/g)].map((m) => m[1]))].sort();
    assert.deepEqual(names(fr[key]), names(text), `${key} has the same placeholders in French`);
  }
});

test('counted words agree with their number in English and in French', () => {
  globalThis.document ??= {documentElement: {}};
  try {
    counted();
  } finally {
    setLocale('en');
  }
});

function counted() {
  setLocale('en');
  assert.equal(t('editor.productCount', {count: 1}), '1 product');
  assert.equal(t('editor.productCount', {count: 0}), '0 products');
  assert.equal(t('status.catalogCounts', {products: '1,234', variants: '1'}), '1,234 products, 1 variant');
  assert.equal(t('analytics.conversionText', {accepted: 1, shown: 1}), '1 of 1 offer shown was accepted.');
  assert.equal(t('analytics.conversionText', {accepted: 2, shown: 5}), '2 of 5 offers shown were accepted.');
  setLocale('fr-CA');
  // French counts 0 and 1 as singular.
  assert.equal(t('editor.productCount', {count: 0}), '0 produit');
  assert.equal(t('editor.productCount', {count: '1\u202f234'}), '1\u202f234 produits');
  assert.equal(t('status.function.runs', {runs: 1, since: 'x', offered: 1}), 'La dernière exécution (depuis le x) ; 1 a fait une offre.');
  assert.equal(t('status.function.runs', {runs: 20, since: 'x', offered: 3}), 'Les 20 dernières exécutions (depuis le x) ; 3 ont fait une offre.');
  for (const table of [en, fr]) {
    for (const [key, text] of Object.entries(table)) {
      for (const [, name] of text.matchAll(/\{(\w+)\|/g)) {
        assert.match(text, new RegExp(`\\{${name}\\}`), `${key}: the number {${name}} appears beside its words`);
      }
    }
  }
}

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

test('a replayed order is priced as paid, bought by its customer, with the pairs of the products bought only', () => {
  const variant = (id, price) => ({id, title: id, price, inventory: {tracked: false, available: 0, policy: 'DENY'}, sellingPlans: [], requiresShipping: true});
  const catalog = {products: [{id: '2', title: 'Mug', variants: [variant('21', '12.00')]}, {id: '10', title: 'Beans', variants: [variant('101', '9.99')]}]};
  const lines = [{variantId: '101', quantity: 2, unitPrice: '8.50'}, {variantId: '21', quantity: 1}];
  assert.deepEqual(purchasedProducts(catalog, lines), ['10', '2'], 'unique, in the server\'s (string) order');
  const pairs = [{productId: '10', suggestedProductId: '2', liftPermille: 2400}, {productId: '3', suggestedProductId: '2', liftPermille: 5000}];
  const customer = {id: '77', numberOfOrders: 4, amountSpent: '412.50', tags: ['vip']};
  const {input} = simulationInput({catalog, currency: 'EUR', exponent: 2, lines, orders: 0, customer, coPurchases: pairs, locale: 'fr-CA'});
  assert.deepEqual(input.purchase.lines.map((l) => l.totalPriceSet.shopMoney.amount), ['17.00', '12.00']);
  assert.equal(input.purchase.totalPriceSet.shopMoney.amount, '29.00');
  assert.deepEqual(input.customer, {id: '77', numberOfOrders: 4, amountSpent: {amount: '412.50', currencyCode: 'EUR'}, tags: ['vip']});
  assert.equal(input.purchase.customerId, '77');
  assert.deepEqual(input.coPurchases, [pairs[0]]);
  assert.equal(input.locale, 'fr-CA');
  // A paid price the currency cannot hold is refused like an unpriceable variant.
  assert.deepEqual(simulationInput({catalog, currency: 'EUR', exponent: 2, lines: [{variantId: '21', quantity: 1, unitPrice: '1.234'}]}), {error: '21'});
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

// ---- analytics (analytics-data.js, analytics.js) ------------------------------------------

const money = (amount) => ({amount, minor: Number(amount.replace('.', ''))});
const figures = (over = {}) => ({
  offersShown: 0, accepted: 0, declined: 0, conversionRate: null, confirmed: 0, pending: 0, unconfirmed: 0, foreignCurrency: 0,
  confirmedUnits: 0, confirmedRevenue: money('0.00'), refundedUnits: 0, refundedAmount: money('0.00'), refundRate: null,
  netRevenue: money('0.00'), revenuePerOfferShown: null, ...over,
});

test('amounts are read as exact minor units of the currency, never floats', () => {
  assert.equal(minorOf({amount: '0.30'}, 2), 30n);
  assert.equal(minorOf({amount: '-12.05'}, 2), -1205n);
  assert.equal(minorOf({amount: '1500'}, 0), 1500n);
  assert.equal(minorOf({amount: '90071992547409.93'}, 2), 9007199254740993n, 'past 2^53 stays exact');
  assert.equal(minorOf(null, 2), null);
  assert.throws(() => minorOf({amount: '1.005'}, 2), /2-decimal/);
});

test('the days of a range are every UTC day from its first to its last, across months', () => {
  assert.deepEqual(daysBetween('2026-02-27', '2026-03-02'), ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  assert.deepEqual(daysBetween('2026-11-30', '2026-11-30'), ['2026-11-30']);
});

test('day rows are summed per day over campaigns and arms, and quiet days are zeros', () => {
  const report = {
    from: '2026-11-28', to: '2026-11-30',
    days: [
      {day: '2026-11-28', campaignId: 'a', stepId: 's', ...figures({offersShown: 2, accepted: 1, confirmedRevenue: money('10.00'), netRevenue: money('10.00')})},
      {day: '2026-11-28', campaignId: 'b', stepId: 's', ...figures({offersShown: 1, accepted: 1, confirmedRevenue: money('5.50'), refundedAmount: money('5.50'), netRevenue: money('0.00')})},
      {day: '2026-11-30', campaignId: 'a', stepId: 's', ...figures({offersShown: 4})},
    ],
  };
  assert.deepEqual(perDay(report, 2), [
    {day: '2026-11-28', shown: 3, accepted: 2, revenue: 1550n, refunded: 550n, net: 1000n},
    {day: '2026-11-29', shown: 0, accepted: 0, revenue: 0n, refunded: 0n, net: 0n},
    {day: '2026-11-30', shown: 4, accepted: 0, revenue: 0n, refunded: 0n, net: 0n},
  ]);
});

test('each offer sums its experiment arms and carries its own refund-rate pause threshold', () => {
  const config = {defaults: {guardrails: {refundRatePausePercent: 8}}, campaigns: [{id: 'a', guardrails: {refundRatePausePercent: 3, refundRateMinAccepts: 5}}, {id: 'b'}]};
  const report = {
    groups: [
      {campaignId: 'a', stepId: 's', armId: 'x', ...figures({accepted: 3, confirmedUnits: 3, refundedUnits: 1})},
      {campaignId: 'a', stepId: 's', armId: 'y', ...figures({accepted: 1, confirmedUnits: 1, refundedUnits: 0})},
      {campaignId: 'b', stepId: 's', ...figures({accepted: 0})},
    ],
  };
  const [a, b] = perOffer(report, 2, config);
  assert.deepEqual([a.accepted, a.confirmedUnits, a.refundedUnits, a.refundRate], [4, 4, 1, 0.25]);
  assert.deepEqual(a.guardrail, {percent: 3, minAccepts: 5});
  assert.equal(b.refundRate, null, 'no confirmed units: no rate');
  assert.deepEqual(b.guardrail, {percent: 8, minAccepts: 20}, "the shop's default, then Encore's");
  assert.deepEqual(refundGuardrail(null, 'a'), {percent: 5, minAccepts: 20});
});

test('each campaign sums its steps and arms for the Campaigns list', () => {
  const report = {groups: [
    {campaignId: 'a', stepId: 'upsell', ...figures({offersShown: 3, accepted: 1})},
    {campaignId: 'a', stepId: 'downsell', ...figures({offersShown: 2, accepted: 2})},
    {campaignId: 'b', stepId: 'upsell', ...figures({offersShown: 1})},
  ]};
  assert.deepEqual([...perCampaign(report)], [['a', {shown: 5, accepted: 3}], ['b', {shown: 1, accepted: 0}]]);
});

test('an experiment verdict says not enough data, a difference, or no clear one', () => {
  const arms = {armId: 'b', controlArmId: 'a'};
  assert.match(verdict({status: 'notEnoughData', reason: 'arm b has shown 3 offers'}, arms, String, 3).text, /not enough data.*from 100 offers.*so far: 3/);
  const better = verdict({status: 'compared', difference: 0.05, pValue: 0.001}, arms, String);
  assert.equal(better.kind, 'good');
  assert.match(better.text, /b beats a by 0\.05/);
  assert.equal(verdict({status: 'compared', difference: -0.05, pValue: 0.01}, arms, String).kind, 'bad');
  assert.match(verdict({status: 'compared', difference: 0.05, pValue: 0.2}, arms, String).text, /no clear difference/);
});

test('a preset range ends today and spans its number of days', () => {
  assert.deepEqual(lastDays(7, '2026-03-02'), {from: '2026-02-24', to: '2026-03-02'});
});

// ---- history (history.js) ----------------------------------------------------------------

test('a history entry says who saved and what changed', () => {
  assert.equal(actorText({actor: 'staff', staffMemberId: 'gid://shopify/StaffMember/42'}), 'Staff member 42');
  assert.equal(actorText({actor: 'operator'}), 'Operator (admin token)');
  assert.equal(changeText({change: 'changed', fields: ['priority', 'status']}), 'Changed priority, status');
  assert.equal(changeText({change: 'removed', fields: []}), 'Removed');
});

// ---- catalog pickers (catalog-picker.js) -----------------------------------------------------

test('a picked value joins the list once', () => {
  assert.equal(addToList('', '1005'), '1005');
  assert.equal(addToList('1001, 1002', '1005'), '1001, 1002, 1005');
  assert.equal(addToList('1001,1005 ', '1005'), '1001, 1005');
});

test('the browser engine\'s wasm stays within its budget of 150 kB compressed', () => {
  const wasm = readFileSync(join(import.meta.dirname, '../app/engine/encore_web_bg.wasm'));
  const compressed = gzipSync(wasm, {level: 9}).length;
  assert.ok(compressed <= 150000, `encore_web_bg.wasm is ${compressed} B gzip -9, over 150000 B`);
  assert.ok(wasm.subarray(0, 4).equals(Buffer.from('\0asm')), 'it is a wasm module');
});

test('without the report, the campaigns page falls back to the summary\'s net revenue, never accepted prices', async () => {
  const api = {
    analytics: () => Promise.reject(new Error('report unavailable')),
    summary: () => Promise.resolve({
      offersShown: 4, accepted: 2,
      confirmedRevenue: {amount: '32.00', currencyCode: 'EUR'},
      refundedAmount: {amount: '16.00', currencyCode: 'EUR'},
      netRevenue: {amount: '16.00', currencyCode: 'EUR'},
    }),
  };
  const figures = await loadFigures(api);
  assert.equal(figures.revenue, '16.00');
  assert.equal(figures.currencyCode, 'EUR');
  assert.equal(figures.shown, 4);
  assert.equal(figures.days, null);
});
