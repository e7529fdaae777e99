#!/usr/bin/env bash
# Tests the post-purchase extension and builds the Shopify app project with the real Shopify CLI,
# offline: npm ci, the extension's tests (node --test), `shopify app build`, the bundle's size.
#
# Needs: Node >= 20 with npm, and the npm registry for `npm ci` (the Shopify CLI 4.x needs
# Node >= 22.12: the node@22 devDependency provides it, put first on PATH below).
# Optional: ENCORE_SERVER_BIN=<encore-server binary> runs the end-to-end test against it
# (skipped otherwise); ENCORE_SERVER_URL is baked into the bundle (unset: renders nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --loglevel=error

npm test --workspace extensions/post-purchase-offer

export PATH="$PWD/node_modules/.bin:$PATH" SHOPIFY_CLI_NO_ANALYTICS=1
echo "shopify app build with node $(node --version)"
shopify app build

bundle=extensions/post-purchase-offer/dist/post-purchase-offer.js
raw=$(wc -c <"$bundle")
gzipped=$(gzip -9c "$bundle" | wc -c)
echo "post-purchase extension bundle: $raw bytes, $gzipped bytes gzip -9 (goal 30000; Shopify's limit 64 kB)"
if [ "$gzipped" -gt 64000 ]; then
  echo "the bundle is over Shopify's 64 kB limit for UI extensions" >&2
  exit 1
fi
