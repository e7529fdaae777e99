// The admin's only way to call Encore: every request carries a fresh App Bridge session token
// (`shopify.idToken()`), and an answer saying the session token is invalid or expired (401 with
// X-Shopify-Retry-Invalid-Session-Request: 1) gets a new token and one retry. Whatever the
// server accepts (today the operator token through a stand-in, later App Bridge session tokens)
// this module is where it changes.

export const RETRY_HEADER = 'X-Shopify-Retry-Invalid-Session-Request';

/**
 * @param {{idToken: () => Promise<string>, fetch?: typeof fetch}} deps
 * @returns {(url: string, init?: RequestInit) => Promise<Response>}
 */
export function createAuthorizedFetch({idToken, fetch: fetchImpl = globalThis.fetch.bind(globalThis)}) {
  const attempt = async (url, init) => {
    const token = await idToken();
    const headers = new Headers(init.headers || {});
    headers.set('Authorization', `Bearer ${token}`);
    return fetchImpl(url, {...init, headers});
  };
  return async (url, init = {}) => {
    const first = await attempt(url, init);
    if (first.status === 401 && first.headers.get(RETRY_HEADER) === '1') return attempt(url, init);
    return first;
  };
}
