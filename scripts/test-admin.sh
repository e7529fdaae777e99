#!/usr/bin/env bash
# Tests the embedded admin (crates/encore-server/web): the browser engine rebuilt and compared
# with its committed files (scripts/build-web-engine.sh --check), its pure modules in Node, the
# App Bridge stand-in type-checked against @shopify/app-bridge-types, and the pages and the
# engine (every offer Function fixture) in headless Chromium (Debian's `chromium`, driven by
# playwright-core) against the real encore-server; screenshots of each page land in
# target/admin-screenshots/. Then the JavaScript and wasm size budgets.
#
# Needs: Node >= 20 with npm (npm ci), Debian's chromium at /usr/bin/chromium (or ENCORE_CHROMIUM),
# and what scripts/build-web-engine.sh needs (wasm-bindgen-cli, installed by .ci/run).
# Optional: ENCORE_SERVER_BIN=<encore-server binary> runs the browser tests (skipped otherwise);
# with ENCORE_SHOPIFY_SIM_BIN=<shopify-sim's admin_shop example> also the simulator's tests
# against a shop installed from the simulated Shopify (past orders, co-purchase pairs).
set -euo pipefail
cd "$(dirname "$0")/.."
export ENCORE_SCREENSHOTS="${ENCORE_SCREENSHOTS:-${CARGO_TARGET_DIR:-$PWD/target}/admin-screenshots}"

[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error

scripts/build-web-engine.sh --check

npm test --workspace crates/encore-server/web

# The size budget only (timing belongs to the benchmark: bench/measure.js).
ENCORE_SERVER_BIN= node crates/encore-server/web/bench/measure.js
echo "admin screenshots: $ENCORE_SCREENSHOTS"
