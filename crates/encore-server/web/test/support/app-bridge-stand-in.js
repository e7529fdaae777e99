// @ts-check
// A stand-in for Shopify App Bridge (https://cdn.shopify.com/shopifycloud/app-bridge.js) for tests,
// served in its place. It provides the part of `window.shopify` Encore's admin uses, typed with
// Shopify's own declarations: `config` (apiKey from the shopify-api-key meta tag; shop, host and
// locale from the query string, as the admin passes them), `idToken()` and `toast.show()`.
//
// `idToken()` answers like App Bridge: a fresh session token per call, HS256-signed with the app
// secret, with Shopify's claims (iss https://{shop}/admin, dest https://{shop}, aud the client id,
// sub the staff member, exp one minute on, nbf, iat, jti, sid). The test sets
// `window.__encoreStandIn = {secret, user?, ttl?}` before the page loads: tokens are signed with
// `secret` for staff member `user` (default 1), valid `ttl` seconds (default 60).
// Every token handed out is kept in `window.__encoreStandIn.issued`, so tests can see retries.

/** @typedef {import('@shopify/app-bridge-types').ShopifyGlobal} ShopifyGlobal */
/** @typedef {{secret: string, user?: string, ttl?: number, issued?: string[]}} StandInOptions */

(function () {
  const w = /** @type {Window & {__encoreStandIn?: StandInOptions, shopify?: Pick<ShopifyGlobal, 'config' | 'idToken' | 'toast' | 'ready' | 'origin'>}} */ (window);
  const options = w.__encoreStandIn;
  if (!options) throw new Error('app-bridge stand-in: set window.__encoreStandIn before the page loads');
  const issued = (options.issued = options.issued || []);
  const params = new URLSearchParams(location.search);
  const apiKey = document.querySelector('meta[name="shopify-api-key"]')?.getAttribute('content') || '';
  const shop = params.get('shop') || undefined;

  /** @param {Uint8Array | string} data */
  const base64url = (data) => {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const randomHex = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

  /** @param {string} secret @param {string} user @param {number} ttl */
  async function mintSessionToken(secret, user, ttl) {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({alg: 'HS256', typ: 'JWT'}));
    const claims = base64url(
      JSON.stringify({
        iss: `https://${shop}/admin`,
        dest: `https://${shop}`,
        aud: apiKey,
        sub: user,
        exp: now + ttl,
        nbf: now,
        iat: now,
        jti: randomHex(),
        sid: randomHex(),
      }),
    );
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);
    const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${header}.${claims}`)));
    return `${header}.${claims}.${base64url(signature)}`;
  }

  /** @type {ShopifyGlobal['idToken']} */
  const idToken = async () => {
    const token = await mintSessionToken(options.secret, options.user || '1', options.ttl || 60);
    issued.push(token);
    return token;
  };

  /** @type {ShopifyGlobal['toast']} */
  const toast = {
    show: (message) => {
      document.documentElement.dataset.lastToast = message;
      return randomHex();
    },
    hide: () => {},
  };

  w.shopify = {
    config: {apiKey, shop, host: params.get('host') || undefined, locale: params.get('locale') || 'en-US'},
    origin: location.origin,
    ready: Promise.resolve(),
    idToken,
    toast,
  };
})();
