// Encore's admin API as the pages use it, over the authorized fetch (auth.js).
import {t} from './i18n.js';

/** A refused or failed request: the status and Encore's JSON body ({error, message, faults?}). */
export class ApiFailure extends Error {
  constructor(status, body) {
    super(body && Array.isArray(body.conflicts) ? t('history.conflict', {version: body.liveVersion, subjects: body.conflicts.join(', ')}) : (body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
  /** The configuration faults of a 422: [{path, message}] in the engine's words. */
  get faults() {
    return Array.isArray(this.body.faults) ? this.body.faults : [];
  }
  /** A 409 save conflict's subjects (campaign ids or shop-wide keys), else []. */
  get conflicts() {
    return Array.isArray(this.body.conflicts) ? this.body.conflicts : [];
  }
}

export function createApi(authorizedFetch, shop) {
  const q = `shop=${encodeURIComponent(shop)}`;
  const call = async (method, path, body) => {
    const response = await authorizedFetch(path, {
      method,
      headers: body === undefined ? {} : {'Content-Type': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = {message: text};
    }
    if (!response.ok) throw new ApiFailure(response.status, json);
    return json;
  };
  return {
    shop,
    shopInfo: () => call('GET', `/api/shop?${q}`),
    campaigns: () => call('GET', `/api/campaigns?${q}`),
    /** Saves `config` edited from `baseVersion` (a stale base is merged onto the live version). */
    saveCampaigns: (config, baseVersion) => call('PUT', `/api/campaigns?${q}${baseVersion ? `&baseVersion=${baseVersion}` : ''}`, config),
    /** Who changed which campaign when: newest first, one campaign's (with shop-wide) or all. */
    history: (campaign) => call('GET', `/api/campaigns/history?${q}${campaign ? `&campaign=${encodeURIComponent(campaign)}` : ''}`),
    versions: () => call('GET', `/api/campaigns/versions?${q}`),
    version: (v) => call('GET', `/api/campaigns/versions/${encodeURIComponent(v)}?${q}`),
    catalog: () => call('GET', `/api/catalog?${q}`),
    summary: () => call('GET', `/api/analytics/summary?${q}`),
    /** The analytics report over {from, to} (YYYY-MM-DD, UTC; missing: the last 30 days). */
    analytics: ({from, to} = {}) => {
      const range = new URLSearchParams(Object.entries({from, to}).filter(([, v]) => v));
      return call('GET', `/api/analytics?${q}${range.size ? `&${range}` : ''}`);
    },
    decisions: (referenceId) => call('GET', `/api/purchases/${encodeURIComponent(referenceId)}/decisions?${q}`),
    /** Up to 20 matches of `text` among the synced catalog's `kind` (products, variants, …). */
    searchCatalog: (kind, text) => call('GET', `/api/catalog/search?${new URLSearchParams({shop, kind, q: text || ''})}`),
    /** The catalog sync's state and progress. */
    syncStatus: () => call('GET', `/api/sync/status?${q}`),
    /** Starts a full catalog sync (202 with the status showing it). */
    startSync: () => call('POST', `/api/sync?${q}`),
    /** Webhooks per topic and the offer Function's recent runs, for this shop. */
    storeHealth: () => call('GET', `/api/store-health?${q}`),
    /** Past orders to simulate, newest first: named `name` (#1001), or the recent ones. */
    pastOrders: (name) => call('GET', `/api/simulation/orders?${new URLSearchParams({shop, name: name || ''})}`),
    /** The co-purchase pairs a purchase of `productIds` gives the offer Function. */
    coPurchases: (productIds) => call('GET', `/api/simulation/co-purchases?${new URLSearchParams({shop, products: productIds.join(',')})}`),
    /** Whether Encore is the shop's post-purchase app, as Shopify says (null when it cannot be asked). */
    checkoutSetting: () => call('GET', `/api/checkout-setting?${q}`),
  };
}
