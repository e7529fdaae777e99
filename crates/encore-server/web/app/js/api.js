// Encore's admin API as the pages use it, over the authorized fetch (auth.js).

/** A refused or failed request: the status and Encore's JSON body ({error, message, faults?}). */
export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
  /** The configuration faults of a 422: [{path, message}] in the engine's words. */
  get faults() {
    return Array.isArray(this.body.faults) ? this.body.faults : [];
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
    saveCampaigns: (config) => call('PUT', `/api/campaigns?${q}`, config),
    versions: () => call('GET', `/api/campaigns/versions?${q}`),
    version: (v) => call('GET', `/api/campaigns/versions/${encodeURIComponent(v)}?${q}`),
    catalog: () => call('GET', `/api/catalog?${q}`),
    summary: () => call('GET', `/api/analytics/summary?${q}`),
    decisions: (referenceId) => call('GET', `/api/purchases/${encodeURIComponent(referenceId)}/decisions?${q}`),
    /** The Prometheus text of /metrics, or null when this session may not read it. */
    metrics: async () => {
      const response = await authorizedFetch('/metrics', {});
      return response.ok ? response.text() : null;
    },
  };
}
