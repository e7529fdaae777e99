// The Encore server's post-purchase API, as the extension uses it. Every call is bounded by the
// request timeout and never throws: a server that is down, slow or confused means no offer.
import {REQUEST_TIMEOUT_MS, settleWithin} from './deadline.js';
import {offerFromAnswer} from './offer.js';

/**
 * @param {object} options
 * @param {string|null} options.serverUrl  the Encore server's base URL (see config.js)
 * @param {string} options.token            inputData.token, Shopify's signed purchase token
 * @param {typeof fetch} [options.fetch]
 * @param {number} [options.timeoutMs]
 */
export function createEncoreClient({serverUrl, token, fetch = globalThis.fetch, timeoutMs = REQUEST_TIMEOUT_MS}) {
  async function post(path, body) {
    if (!serverUrl) throw new Error('Encore server URL not configured');
    const controller = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = controller && setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetch(`${serverUrl}${path}`, {
        method: 'POST',
        // The token travels in the body: a large purchase's token is hundreds of kilobytes,
        // more than servers and proxies take in a header.
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({...body, token}),
        signal: controller?.signal,
      });
      if (!response.ok) throw new Error(`Encore server answered ${response.status} to ${path}`);
      return await response.json();
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  return {
    /** The offer for the purchase's current funnel step, or null (none, timeout, failure). */
    fetchOffer() {
      return settleWithin(post('/api/post-purchase/offer', {}).then(offerFromAnswer), timeoutMs, null);
    },

    /**
     * Records what the buyer did with an offer. Resolves to whether the server took it; callers
     * that do not need the next funnel step do not wait for it.
     */
    reportEvent(event) {
      return settleWithin(
        post('/api/post-purchase/events', event).then((answer) => answer?.ok === true),
        timeoutMs,
        false,
      );
    },
  };
}
