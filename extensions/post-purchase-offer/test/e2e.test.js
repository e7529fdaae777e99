// End to end: the bundled extension's ShouldRender and Render run in Node against a real Encore
// server on loopback (its --demo shop), with a post-purchase token signed like Shopify's. The
// buyer accepts the offer; the server must have recorded it. An offer Shopify prices differently
// is never shown, and the server lists it for the merchant.
//
//   ENCORE_SERVER_BIN=target/debug/encore-server npm test
//
// Optional: ENCORE_E2E_PURCHASE (JSON of an inputData.initialPurchase to buy instead of the
// default one). The demo server runs with the demo shop's development credentials only.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createHmac} from 'node:crypto';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {buttonLabelled, inputDataFor, loadExtension, runPostPurchase, waitFor} from './support/extension-harness.js';
import {fakeCheckout} from './support/fixtures.js';

const serverBin = process.env.ENCORE_SERVER_BIN;
const demoSecret = 'encore-demo-secret';
const demoApiKey = 'encore-demo-key';
const adminToken = 'encore-demo-admin';
const demoShop = 'encore-demo.myshopify.com';
const skip = serverBin ? false : 'ENCORE_SERVER_BIN is not set: build encore-server and point ENCORE_SERVER_BIN at it to run the end-to-end test';

const base64url = (value) => Buffer.from(value).toString('base64url');
const hmac = (data, secret) => createHmac('sha256', secret).update(data).digest('base64url');

/** An inputData.token as Shopify signs it: HS256 with the app's secret over the input data. */
function shopifyInputToken(inputData, secret) {
  const now = Math.floor(Date.now() / 1000);
  const {token, ...signedInput} = inputData;
  const header = base64url(JSON.stringify({alg: 'HS256', typ: 'JWT'}));
  const claims = base64url(
    JSON.stringify({iss: 'shopify', sub: inputData.initialPurchase.referenceId, iat: now, exp: now + 600, input_data: signedInput}),
  );
  return `${header}.${claims}.${hmac(`${header}.${claims}`, secret)}`;
}

function decodeVerifiedJwt(jwt, secret) {
  const [header, claims, signature] = jwt.split('.');
  assert.equal(signature, hmac(`${header}.${claims}`, secret), 'changeset token is signed with the app secret');
  return JSON.parse(Buffer.from(claims, 'base64url').toString());
}

/** The demo shop's variant prices, as Shopify's catalog has them (cents). */
const demoCatalog = new URL('../../../crates/encore-server/demo/catalog.json', import.meta.url);
const variantPrices = new Map(
  JSON.parse(readFileSync(demoCatalog, 'utf8')).products.flatMap((product) =>
    product.variants.map((variant) => [String(variant.id), Math.round(Number(variant.price) * 100)]),
  ),
);

/**
 * calculateChangeset for Encore's changes, a stand-in for Shopify: each added line at the
 * catalog price times its quantity, less its explicit discount (a percentage of the line, or a
 * `fixed_amount` off the whole line). `presentmentSurcharge` (cents) models a Shopify Markets
 * fixed price in the buyer's currency that differs from the converted one.
 */
function shopifyCalculation({changes}, {presentmentSurcharge = 0} = {}) {
  const text = (cents) => (cents / 100).toFixed(2);
  const bag = (shop, presentment = shop) => ({
    shopMoney: {amount: text(shop), currencyCode: 'USD'},
    presentmentMoney: {amount: text(presentment), currencyCode: 'USD'},
  });
  const updatedLineItems = changes
    .filter((change) => change.type === 'add_variant' || change.type === 'add_subscription')
    .map((change) => {
      const unit = variantPrices.get(String(change.variantId));
      const line = unit * change.quantity;
      const {value = 0, valueType} = change.discount ?? {};
      const total = valueType === 'percentage' ? Math.round((line * (100 - Number(value))) / 100) : line - Math.round(Number(value) * 100);
      return {
        productId: 0,
        variantId: Number(change.variantId),
        quantity: change.quantity,
        productHandle: 'item',
        priceSet: bag(unit),
        totalPriceSet: bag(total, total + presentmentSurcharge),
      };
    });
  const subtotal = updatedLineItems.reduce((sum, line) => sum + Math.round(Number(line.totalPriceSet.shopMoney.amount) * 100), 0);
  return {
    status: 'processed',
    errors: [],
    calculatedPurchase: {
      subtotalPriceSet: bag(subtotal),
      totalPriceSet: bag(subtotal),
      totalOutstandingSet: bag(subtotal),
      updatedLineItems,
      addedShippingLines: [],
      addedTaxLines: [],
    },
  };
}

function demoPurchase(referenceId) {
  if (process.env.ENCORE_E2E_PURCHASE) return {...JSON.parse(process.env.ENCORE_E2E_PURCHASE), referenceId};
  const money = (amount) => ({amount, currencyCode: 'USD'});
  const bag = (amount) => ({shopMoney: money(amount), presentmentMoney: money(amount)});
  return {
    referenceId,
    customerId: '7001',
    destinationCountryCode: 'US',
    totalPriceSet: bag('799.00'),
    lineItems: [
      {
        product: {id: 1001, title: 'Encore phone', metafields: [], variant: {id: 2001, title: '128 GB', metafields: []}},
        quantity: 1,
        totalPriceSet: bag('799.00'),
      },
    ],
  };
}

/** The environment without an app's credentials: --demo refuses to start with real ones. */
function withoutAppCredentials(env) {
  const {SHOPIFY_API_KEY, SHOPIFY_API_SECRET, ENCORE_ADMIN_TOKEN, ...rest} = env;
  return rest;
}

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const {port} = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let server;
let serverUrl;
let serverLog = '';
let dataDir;

async function summary() {
  const response = await fetch(`${serverUrl}/api/analytics/summary?shop=${demoShop}`, {
    headers: {Authorization: `Bearer ${adminToken}`},
  });
  assert.equal(response.status, 200, `GET /api/analytics/summary answered ${response.status}\n${serverLog}`);
  return response.json();
}

before(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'encore-e2e-'));
  const listen = `127.0.0.1:${await freePort()}`;
  serverUrl = `http://${listen}`;
  server = spawn(serverBin, ['--demo'], {
    env: {
      ...withoutAppCredentials(process.env),
      ENCORE_LISTEN: listen,
      ENCORE_DATABASE_URL: `sqlite://${join(dataDir, 'encore.sqlite')}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (chunk) => (serverLog += chunk));
  server.stderr.on('data', (chunk) => (serverLog += chunk));
  const exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  await waitFor(
    async () => {
      const code = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 0, 'running'))]);
      if (code !== 'running') throw new Error(`encore-server exited with ${code}\n${serverLog}`);
      return fetch(`${serverUrl}/api/analytics/summary?shop=${demoShop}`, {headers: {Authorization: `Bearer ${adminToken}`}}).then(
        (response) => response.ok,
        () => false,
      );
    },
    {timeoutMs: 30000, what: `encore-server on ${listen}`},
  );
});

after(() => {
  server?.kill();
  if (dataDir) rmSync(dataDir, {recursive: true, force: true});
});

test('an offer Shopify prices differently is not shown, and the merchant sees why', {skip}, async () => {
  // First: it leaves nothing in flight (the report is sent before done()), while the accept
  // test's next funnel step may still be reporting when it ends.
  const before = await summary();
  const referenceId = `e2e-mismatch-${Date.now()}`;
  const inputData = {...inputDataFor(), initialPurchase: demoPurchase(referenceId)};
  inputData.token = shopifyInputToken(inputData, demoSecret);

  // The buyer's price is one dollar above Encore's: a Markets fixed price, say.
  const checkout = fakeCheckout({calculation: (changeset) => shopifyCalculation(changeset, {presentmentSurcharge: 100})});
  const extension = await loadExtension({serverUrl});
  const {shouldRender, root} = await runPostPurchase(extension, {inputData, checkout});
  assert.deepEqual(shouldRender, {render: true}, `the demo shop offers nothing for this purchase\n${serverLog}`);
  await waitFor(() => checkout.calls.done === 1, {what: 'done() without showing the offer'});
  assert.equal(buttonLabelled(root, /Pay now/), undefined);
  assert.equal(checkout.calls.applyChangeset.length, 0);

  const now = await summary();
  assert.equal(now.offersShown, before.offersShown);
  assert.equal(now.priceMismatches.count, before.priceMismatches.count + 1);
  const [latest] = now.priceMismatches.latest;
  const expected = latest.prices.expected;
  assert.equal(latest.prices.currencyCode, 'USD');
  assert.equal(Math.round((Number(latest.prices.calculated) - Number(expected)) * 100), 100, JSON.stringify(latest));
  assert.equal(latest.shopifyStatus, 'processed');
});

test('the buyer accepts an offer from the real Encore server and the server records it', {skip}, async () => {
  const before = await summary();
  const referenceId = `e2e-${Date.now()}`;
  const inputData = {...inputDataFor(), initialPurchase: demoPurchase(referenceId)};
  inputData.token = shopifyInputToken(inputData, demoSecret);

  const checkout = fakeCheckout({calculation: (changeset) => shopifyCalculation(changeset)});
  const extension = await loadExtension({serverUrl});
  const {shouldRender, root} = await runPostPurchase(extension, {inputData, checkout});
  assert.deepEqual(shouldRender, {render: true}, `the demo shop offers nothing for this purchase\n${serverLog}`);

  const accept = await waitFor(() => buttonLabelled(root, /Pay now/), {what: 'the offer'});
  accept.props.onPress();
  await waitFor(() => checkout.calls.applyChangeset.length === 1, {what: 'applyChangeset'});

  const claims = decodeVerifiedJwt(checkout.calls.applyChangeset[0].token, demoSecret);
  assert.equal(claims.iss, demoApiKey);
  assert.equal(claims.sub, referenceId);
  assert.ok(claims.jti, 'changeset token has a jti');
  assert.deepEqual(claims.changes, checkout.calls.calculateChangeset[0].changes, 'signed changes are the ones shown');

  await waitFor(
    async () => {
      const now = await summary();
      return now.accepted === before.accepted + 1 && now.offersShown > before.offersShown;
    },
    {timeoutMs: 5000, what: 'the server to record the shown offer and its acceptance'},
  );
});
