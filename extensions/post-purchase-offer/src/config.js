// The Encore server the extension talks to, fixed when the extension is bundled.
//
// The Shopify CLI's bundler replaces `process.env.<NAME>` with the value of that variable taken
// from the environment of `shopify app build` / `app deploy` / `app dev`, or from the app's
// `.env` file. Set ENCORE_SERVER_URL to the server's public HTTPS origin, for example
// `ENCORE_SERVER_URL=https://encore.example.com shopify app deploy`. When it is unset the
// extension renders nothing, so a misconfigured build never gets in the buyer's way.

export const serverUrl = normalizeServerUrl(readBuildTimeServerUrl());

function readBuildTimeServerUrl() {
  try {
    return process.env.ENCORE_SERVER_URL;
  } catch {
    // Not substituted at build time: the checkout worker has no `process`.
    return undefined;
  }
}

/** "https://encore.example.com/" → "https://encore.example.com"; anything blank → null. */
export function normalizeServerUrl(url) {
  const trimmed = typeof url === 'string' ? url.trim().replace(/\/+$/, '') : '';
  return trimmed === '' ? null : trimmed;
}
