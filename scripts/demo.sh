#!/usr/bin/env bash
# Builds Encore and runs its server in demo mode: an embedded SQLite file, demo campaigns and
# catalog for the shop encore-demo.myshopify.com, and a preview page at http://127.0.0.1:8080/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
rustup toolchain install 1.89.0 --profile minimal --target wasm32-unknown-unknown >/dev/null 2>&1 || true
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
scripts/build-wasm.sh
exec cargo run --release -p encore-server -- --demo "$@"
