// The editor's simulator on a shop installed from a simulated Shopify, in headless Chromium
// against the real encore-server: the admin installs itself with its session token (token
// exchange), syncs the catalog, then replays a past order found by name (its lines at the
// prices paid, its country and buyer) through the offer engine; an `auto` offer finds its
// candidate in the shop's co-purchase pairs; Shopify gone is said as such. Also: the engine's
// warm-up purchase is one the engine makes an offer for (so warming runs a whole decision).
//
//   ENCORE_SERVER_BIN=target/debug/encore-server \
//   ENCORE_SHOPIFY_SIM_BIN=target/debug/examples/admin_shop npm test -w crates/encore-server/web
import assert from 'node:assert/strict';
import {mkdirSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {after, before, test} from 'node:test';
import {SIM_APP, launchChromium, sessionToken, startServer, startShopifySim, useStandIn} from './support/server.js';

const serverBin = process.env.ENCORE_SERVER_BIN;
const simBin = process.env.ENCORE_SHOPIFY_SIM_BIN;
const skip = serverBin && simBin ? false : 'ENCORE_SERVER_BIN and ENCORE_SHOPIFY_SIM_BIN (cargo build -p shopify-sim --example admin_shop) are not both set';
const shots = resolve(process.env.ENCORE_SCREENSHOTS || join(import.meta.dirname, '../../../../target/admin-screenshots'));

let shopify;
let server;
let browser;
let page;
let shop;
/** Product and variant ids of the synced catalog, in product order. */
let products;

/** A request as the embedded admin makes it: a fresh session token of the simulated app. */
async function asMerchant(path, {method = 'GET', body} = {}) {
  const token = sessionToken(shop, {apiKey: SIM_APP.apiKey, secret: SIM_APP.secret});
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {Authorization: `Bearer ${token}`, ...(body ? {'Content-Type': 'application/json'} : {})},
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const cents = (decimal) => {
  const [whole, fraction = ''] = decimal.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
};
const decimal = (minor) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;

before(async () => {
  if (skip) return;
  mkdirSync(shots, {recursive: true});
  shopify = await startShopifySim(simBin);
  shop = shopify.info.shop;
  server = await startServer(serverBin, {demo: false, env: shopify.serverEnv});
  // The first session token installs the shop; then a full catalog sync from Shopify.
  await asMerchant(`/api/session/install`, {method: 'POST'});
  await asMerchant(`/api/sync?shop=${shop}`, {method: 'POST'});
  for (let i = 0; ; i++) {
    const status = await asMerchant(`/api/sync/status?shop=${shop}`);
    if (status.latest?.state === 'complete') break;
    assert.notEqual(status.latest?.state, 'failed', JSON.stringify(status));
    assert.ok(i < 300, `the catalog sync did not finish: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const catalog = await asMerchant(`/api/catalog?shop=${shop}`);
  products = catalog.products;
  assert.ok(products.length >= 6, `synced ${products.length} products`);

  // #1002 (FR, a returning customer) paid less than today's catalog prices: `from-order`
  // matches that purchase only at the prices paid (its total is the trigger's maximum), shipped
  // to France, by a returning customer.
  const [, order1002] = shopify.info.orders;
  const paid = order1002.lines.reduce((n, l) => n + cents(l.unitPrice) * l.quantity, 0);
  const triggerProduct = order1002.lines[0].productId;
  const offered = products.find((p) => ![triggerProduct, order1002.lines[1].productId].includes(p.id) && p.variants.length);
  const pairFrom = products[4];
  const suggested = products[5];
  await fetch(`${server.url}/api/co-purchases?shop=${shop}`, {
    method: 'PUT',
    headers: {Authorization: `Bearer ${SIM_APP.adminToken}`, 'Content-Type': 'application/json'},
    body: JSON.stringify({pairs: [{productId: pairFrom.id, suggestedProductId: suggested.id, liftPermille: 2500}]}),
  }).then((r) => assert.equal(r.status, 200));
  await asMerchant(`/api/campaigns?shop=${shop}`, {
    method: 'PUT',
    body: {
      version: 1,
      defaults: {guardrails: {maxOfferPrice: '1000.00', maxShareOfPurchasePercent: 100}},
      campaigns: [
        {
          id: 'from-order',
          triggers: {products: [triggerProduct], purchaseValue: {max: decimal(paid)}, countries: {include: ['FR']}, customer: {orders: 'returning'}},
          steps: [{id: 'upsell', offer: {products: [String(offered.variants[0].id)], discount: {percent: 10}}}],
        },
        {id: 'auto-pairs', triggers: {products: [pairFrom.id]}, steps: [{id: 'upsell', offer: {auto: true, discount: {percent: 10}}}]},
      ],
    },
  });
  Object.assign(shopify, {offered, suggested, pairFrom});

  browser = await launchChromium();
  await useStandIn(browser.context, {secret: SIM_APP.secret, user: '4242'});
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  server?.stop();
  shopify?.stop();
});

async function openEditor(campaign) {
  await page.goto(`${server.url}/app/campaigns/edit/${campaign}?shop=${shop}`);
  await page.waitForFunction(() => document.getElementById('main')?.dataset.ready && document.querySelector('[data-testid="simulation"]'));
  return page.getByTestId('simulation');
}

test('a past order found by its name is simulated with its lines at the prices paid, its country and its buyer', {skip}, async () => {
  const simulation = await openEditor('from-order');
  const order = shopify.info.orders[1];
  await page.getByLabel('Order name').fill(order.name);
  await page.getByRole('button', {name: 'Find orders'}).click();
  const use = page.getByRole('button', {name: new RegExp(`^Use ${order.name} `)});
  await use.waitFor();
  assert.match(await use.textContent(), /3 units · FR/);
  await use.click();

  assert.equal(await page.getByLabel('Purchased variant 1').inputValue(), order.lines[0].variantId);
  assert.equal(await page.getByLabel('Units bought 1').inputValue(), String(order.lines[0].quantity));
  assert.equal(await page.getByLabel('Purchased variant 2').inputValue(), order.lines[1].variantId);
  assert.equal(await page.getByLabel('Shipping country').inputValue(), 'FR');
  assert.match(await page.getByLabel('Buyer', {exact: true}).locator('option:checked').textContent(), /The buyer of #1002 \(3 orders\)/);
  assert.equal(await page.getByLabel('Buyer\'s language').inputValue(), 'fr');
  assert.match(await page.getByTestId('sim-from-order').textContent(), /Simulating order #1002/);
  await simulation.getByTestId('sim-offer').waitFor();
  assert.match(await simulation.textContent(), /This campaign makes the offer \(step upsell\)/);
  assert.match(await simulation.getByTestId('sim-offer').textContent(), new RegExp(shopify.offered.title));
  await page.getByTestId('sim-from-order').scrollIntoViewIfNeeded();
  await page.screenshot({path: join(shots, 'editor-simulator-past-order.png'), fullPage: true});

  // Picking the first line's variant again prices it from the catalog: today's prices are
  // over the trigger's maximum, so the prices paid were what matched.
  await page.getByLabel('Purchased variant 1').selectOption(order.lines[0].variantId);
  await page.getByTestId('sim-none').waitFor();
  assert.match(await page.getByTestId('sim-reasons').textContent(), /from-order/);

  // Recent orders without a name: newest first; a name no order has says so.
  await page.getByLabel('Order name').fill('');
  await page.getByRole('button', {name: 'Find orders'}).click();
  await page.getByRole('button', {name: /^Use #1002 /}).waitFor();
  const listed = await page.getByTestId('sim-orders').getByRole('button').allTextContents();
  assert.deepEqual(listed.map((text) => text.split(' ')[1]), ['#1002', '#1001']);
  await page.getByLabel('Order name').fill('#9999');
  await page.getByLabel('Order name').press('Enter');
  await page.getByText('No order is named #9999.').waitFor();
  // Search syntax is not an order name: the server's refusal is shown.
  await page.getByLabel('Order name').fill('1001 OR 1002');
  await page.getByRole('button', {name: 'Find orders'}).click();
  await page.getByText(/is not an order name like #1001/).waitFor();
});

test('an automatic offer is simulated from the shop\'s co-purchase pairs of the products bought', {skip}, async () => {
  const simulation = await openEditor('auto-pairs');
  await simulation.getByTestId('sim-offer').waitFor();
  assert.match(await simulation.textContent(), /This campaign makes the offer \(step upsell\)/);
  assert.match(await simulation.getByTestId('sim-offer').textContent(), new RegExp(shopify.suggested.title));
  await page.screenshot({path: join(shots, 'editor-simulator-auto.png'), fullPage: true});
  // Another purchased product has no pairs: no candidate.
  const other = products.find((p) => p.id !== shopify.pairFrom.id && p.variants.length);
  await page.getByLabel('Purchased variant 1').selectOption(String(other.variants[0].id));
  await page.getByTestId('sim-none').waitFor();
});

test('the engine\'s warm-up purchase gets an offer, so warming runs a whole decision', {skip}, async () => {
  await page.goto(`${server.url}/readyz`);
  const decision = await page.evaluate(async () => {
    const engine = await import('/admin-assets/js/engine.js');
    await engine.warmEngine();
    return engine.decide(engine.WARM_UP_INPUT);
  });
  assert.equal(decision.offer?.campaignId, 'warm-up', JSON.stringify(decision));
});

test('with Shopify gone, looking up orders says Shopify could not be reached', {skip}, async () => {
  await openEditor('from-order');
  shopify.stop();
  await page.getByLabel('Order name').fill('#1001');
  await page.getByRole('button', {name: 'Find orders'}).click();
  const alert = page.getByTestId('sim-orders').getByRole('alert');
  await alert.waitFor({timeout: 15000});
  assert.match(await alert.textContent(), /Shopify could not be reached to read orders/);
  await page.screenshot({path: join(shots, 'editor-simulator-shopify-down.png'), fullPage: true});
});
