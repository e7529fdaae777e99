// End to end: the bundled extension's ShouldRender and Render run in Node against a real Encore
// server on loopback (its --demo shop), with a post-purchase token signed like Shopify's. The
// buyer accepts the offer; the server must have recorded it.
//
//   ENCORE_SERVER_BIN=target/debug/encore-server npm test
//
// Optional: ENCORE_DEMO_SECRET (default encore-demo-secret), ENCORE_ADMIN_TOKEN (default
// encore-demo-admin), ENCORE_E2E_PURCHASE (JSON of an inputData.initialPurchase to buy instead
// of the default one).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createHmac} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {buttonLabelled, inputDataFor, loadExtension, runPostPurchase, waitFor} from './support/extension-harness.js';
import {fakeCheckout} from './support/fixtures.js';

const serverBin = process.env.ENCORE_SERVER_BIN;
const demoSecret = process.env.ENCORE_DEMO_SECRET || 'encore-demo-secret';
const demoApiKey = 'encore-demo-key';
const adminToken = process.env.ENCORE_ADMIN_TOKEN || 'encore-demo-admin';
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
    env: {...process.env, ENCORE_LISTEN: listen, ENCORE_DATABASE_URL: `sqlite://${join(dataDir, 'encore.sqlite')}`},
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

test('the buyer accepts an offer from the real Encore server and the server records it', {skip}, async () => {
  const before = await summary();
  const referenceId = `e2e-${Date.now()}`;
  const inputData = {...inputDataFor(), initialPurchase: demoPurchase(referenceId)};
  inputData.token = shopifyInputToken(inputData, demoSecret);

  const checkout = fakeCheckout();
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
