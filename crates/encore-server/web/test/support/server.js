// Starts the real encore-server binary (--demo: the demo shop, its catalog and campaigns) on a
// free loopback port with a fresh SQLite file, and launches Debian's Chromium through
// playwright-core with the flags known to work on this kind of machine.
import {spawn} from 'node:child_process';
import {createHmac} from 'node:crypto';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const DEMO = {shop: 'encore-demo.myshopify.com', apiKey: 'encore-demo-key', secret: 'encore-demo-secret', adminToken: 'encore-demo-admin'};
export const APP_BRIDGE_URL = 'https://cdn.shopify.com/shopifycloud/app-bridge.js';
export const STAND_IN = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'app-bridge-stand-in.js'), 'utf8');
export const CHROMIUM = process.env.ENCORE_CHROMIUM || '/usr/bin/chromium';

const base64url = (value) => Buffer.from(value).toString('base64url');
const hmac = (data, secret) => createHmac('sha256', secret).update(data).digest('base64url');

/** An HS256 JWT of `claims`, signed with `secret`, as Shopify signs its tokens. */
export function signJwt(claims, secret) {
  const header = base64url(JSON.stringify({alg: 'HS256', typ: 'JWT'}));
  const body = base64url(JSON.stringify(claims));
  return `${header}.${body}.${hmac(`${header}.${body}`, secret)}`;
}

/** A post-purchase inputData token as Shopify signs it (iss "shopify", sub the referenceId). */
export function postPurchaseToken(inputData, secret) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({iss: 'shopify', sub: inputData.initialPurchase.referenceId, iat: now, exp: now + 600, input_data: inputData}, secret);
}

/** An App Bridge session token for `shop`, like Shopify's admin mints one. */
export function sessionToken(shop, {apiKey = DEMO.apiKey, secret = DEMO.secret, ttl = 60} = {}) {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({iss: `https://${shop}/admin`, dest: `https://${shop}`, aud: apiKey, sub: '1', exp: now + ttl, nbf: now, iat: now, jti: `${now}-${Math.random()}`, sid: 's'}, secret);
}

async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const {port} = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The running server: {url, log(), stop()} — in demo mode, or with `env` (a Shopify app's
 * settings, such as a simulated Shopify's: see startShopifySim) when `demo` is false.
 */
export async function startServer(bin, {demo = true, env = {}} = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'encore-admin-'));
  const listen = `127.0.0.1:${await freePort()}`;
  const url = `http://${listen}`;
  let log = '';
  const child = spawn(bin, demo ? ['--demo'] : [], {
    env: {...process.env, ...env, ENCORE_LISTEN: listen, ENCORE_DATABASE_URL: `sqlite://${join(dir, 'encore.sqlite')}`},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c) => (log += c));
  child.stderr.on('data', (c) => (log += c));
  let exited = null;
  child.once('exit', (code) => (exited = code));
  child.once('error', (error) => (exited = error.message));
  const deadline = Date.now() + 120000;
  for (;;) {
    if (exited !== null) throw new Error(`encore-server exited with ${exited}\n${log}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`encore-server did not get ready on ${listen}\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    stop: () => {
      child.kill();
      rmSync(dir, {recursive: true, force: true});
    },
  };
}

/** A simulated Shopify app's client id and secret (the stand-in signs session tokens with it). */
export const SIM_APP = {apiKey: 'sim-admin-key', secret: 'sim-admin-secret-0123456789', adminToken: 'sim-admin-operator'};

/**
 * The simulated Shopify (`cargo build -p shopify-sim --example admin_shop`) with one shop and
 * past orders: {info: {hostTemplate, shop, orders}, serverEnv, stop()}; `serverEnv` is what
 * encore-server needs to be that app (startServer(bin, {demo: false, env: serverEnv})).
 */
export async function startShopifySim(bin) {
  const child = spawn(bin, [SIM_APP.apiKey, SIM_APP.secret], {stdio: ['ignore', 'pipe', 'inherit']});
  const line = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`the simulated Shopify exited with ${code}`)));
    child.once('error', reject);
  });
  const info = JSON.parse(line);
  return {
    info,
    serverEnv: {
      SHOPIFY_API_KEY: SIM_APP.apiKey,
      SHOPIFY_API_SECRET: SIM_APP.secret,
      ENCORE_ADMIN_TOKEN: SIM_APP.adminToken,
      ENCORE_SHOPIFY_HOST: info.hostTemplate,
      ENCORE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    },
    stop: () => child.kill(),
  };
}

/** Chromium with the flags from the machine notes, a fresh profile, no network but loopback. */
export async function launchChromium() {
  const {chromium} = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'encore-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: {width: 1280, height: 900},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, {recursive: true, force: true});
    },
  };
}

/**
 * Serves the App Bridge stand-in in place of Shopify's CDN script, refuses every other request
 * that leaves loopback, and tells the stand-in which tokens to hand out.
 */
export async function useStandIn(context, standIn) {
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === APP_BRIDGE_URL) return route.fulfill({status: 200, contentType: 'text/javascript', body: STAND_IN});
    if (/^http:\/\/127\.0\.0\.1[:/]/.test(url)) return route.fallback();
    return route.abort('internetdisconnected');
  });
  await context.addInitScript((options) => {
    window.__encoreStandIn = options;
  }, standIn);
}
