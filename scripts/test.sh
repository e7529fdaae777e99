#!/usr/bin/env bash
# Runs all of Encore's tests: formatting and lints, the wasm build (size budget), the Rust
# workspace (engine, offer Function fixtures natively and through the Function host, host limit
# tests, server tests on a real SQLite file and a real PostgreSQL), and the extension's tests,
# `shopify app build` and its end-to-end test against the real server.
#
# Needs what .ci/run installs: rustup toolchains 1.95.0 and 1.89.0 with wasm32-unknown-unknown,
# Node >= 20 with npm, and Debian's postgresql (scripts/start-postgres.sh installs it if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

echo "==> cargo fmt --check"
cargo fmt --all --check

echo "==> wasm artifacts (provider, offer Function, size budget)"
scripts/build-wasm.sh

echo "==> fixtures against schema.graphql and input.graphql (Shopify's validateTestAssets)"
if [ ! -d tools/node_modules/@shopify/shopify-function-test-helpers ]; then
  (cd tools && npm ci --no-audit --no-fund)
fi
node tools/validate-fixtures.mjs

echo "==> PostgreSQL for the storage and API tests"
if [ -z "${ENCORE_TEST_POSTGRES_URL:-}" ] && [ -z "${ENCORE_SKIP_POSTGRES:-}" ]; then
  ENCORE_TEST_POSTGRES_URL="$(scripts/start-postgres.sh)"
  export ENCORE_TEST_POSTGRES_URL
fi

echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "==> cargo test"
cargo test --workspace

echo "==> extension: tests, shopify app build, end-to-end against the real server"
cargo build -p encore-server
ENCORE_SERVER_BIN="$CARGO_TARGET_DIR/debug/encore-server" scripts/test-extension.sh

echo "==> admin: unit tests, headless Chromium against the real server, size budget"
cargo build -p shopify-sim --example admin_shop
ENCORE_SERVER_BIN="$CARGO_TARGET_DIR/debug/encore-server" \
  ENCORE_SHOPIFY_SIM_BIN="$CARGO_TARGET_DIR/debug/examples/admin_shop" scripts/test-admin.sh

echo "==> all tests passed"
