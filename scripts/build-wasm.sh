#!/usr/bin/env bash
# Builds Encore's wasm artifacts into ${CARGO_TARGET_DIR:-target}/encore/:
#
#   shopify_function_provider.wasm  The Shopify Function provider (crates.io
#                                   shopify_function_provider 2.0.0, its own cdylib,
#                                   rustc 1.89.0, lto, codegen-units 1): the build that
#                                   function-runner 9.2.1 embeds, so encore-host counts
#                                   instructions like Shopify.
#   encore-offer.wasm               The offer Function, optimized like `shopify app function
#                                   build` does (wasm-opt from binaryen 123), and held to a
#                                   size budget of 128,000 B.
#   encore-offer.names.wasm         With `names`: the same code with its function names kept,
#                                   for `encore-run --profile` (docs/cost-model.md).
#
# Usage: scripts/build-wasm.sh [all|provider|function|names]   (default: all)
# Needs: rustup toolchains 1.95.0 (rust-toolchain.toml) and 1.89.0, both with the
# wasm32-unknown-unknown target; Node 20+ and npm (tools/ installs binaryen@123.0.0).
# Idempotent: rebuilds what changed and always re-optimizes a fresh copy of the build.
set -euo pipefail

what="${1:-all}"
case "$what" in all|provider|function|names) ;; *)
  echo "usage: $0 [all|provider|function|names]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
out="$target/encore"
mkdir -p "$out"

budget=128000

build_provider() {
  echo "==> provider: shopify_function_provider 2.0.0 with rustc 1.89.0"
  # Panic messages embed source paths; mapping Cargo's home to one name makes the build
  # byte-for-byte the same on every machine, so its sha256 can be checked
  # (provider/shopify_function_provider.wasm.sha256, crates/encore-host/tests/provider_build.rs).
  local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
  (cd provider && CARGO_TARGET_DIR="$target" \
    RUSTFLAGS="--remap-path-prefix=$cargo_home=/cargo" \
    cargo +1.89.0 build --locked --release \
    --target wasm32-unknown-unknown -p shopify_function_provider)
  cp "$target/wasm32-unknown-unknown/release/shopify_function_provider.wasm" \
    "$out/shopify_function_provider.wasm"
  echo "    $out/shopify_function_provider.wasm ($(wc -c <"$out/shopify_function_provider.wasm") B)"
}

build_function() {
  echo "==> offer Function: cargo build --profile function"
  CARGO_TARGET_DIR="$target" cargo build --locked --profile function \
    --target wasm32-unknown-unknown -p encore-offer-function
  local built="$target/wasm32-unknown-unknown/function/encore-offer-function.wasm"
  local copy="$out/encore-offer-function.unoptimized.wasm"
  local final="$out/encore-offer.wasm"
  # Optimize a fresh copy: re-optimizing an optimized file changes instruction counts.
  cp "$built" "$copy"

  local wasm_opt="$root/tools/node_modules/.bin/wasm-opt"
  if [ ! -x "$wasm_opt" ]; then
    echo "==> tools: npm ci (binaryen@123.0.0)"
    (cd tools && npm ci --no-audit --no-fund)
  fi
  echo "==> wasm-opt $("$wasm_opt" --version)"
  "$wasm_opt" -Oz --enable-bulk-memory --enable-multimemory \
    --enable-nontrapping-float-to-int --strip-debug "$copy" -o "$final"

  local size
  size=$(wc -c <"$final")
  local kb
  kb=$(awk "BEGIN { printf \"%.1f\", $size / 1000 }")
  echo "    $final: $size B ($kb kB; budget $budget B)"
  if [ "$size" -gt "$budget" ]; then
    echo "error: encore-offer.wasm is $size B, over the $budget B budget" >&2
    exit 1
  fi
}

# The Function as build_function builds it, but with the name section kept (no strip, wasm-opt
# -g), in a target directory of its own so the deployable build is not rebuilt afterwards.
build_names() {
  echo "==> offer Function with names: cargo build --profile function (not stripped)"
  local names_target="$target/names"
  CARGO_TARGET_DIR="$names_target" CARGO_PROFILE_FUNCTION_STRIP=false cargo build --locked \
    --profile function --target wasm32-unknown-unknown -p encore-offer-function
  local copy="$out/encore-offer-function.names.unoptimized.wasm"
  cp "$names_target/wasm32-unknown-unknown/function/encore-offer-function.wasm" "$copy"
  "$root/tools/node_modules/.bin/wasm-opt" -Oz -g --enable-bulk-memory --enable-multimemory \
    --enable-nontrapping-float-to-int "$copy" -o "$out/encore-offer.names.wasm"
  echo "    $out/encore-offer.names.wasm"
}

case "$what" in
  all) build_provider; build_function ;;
  names) build_names ;;
  provider) build_provider ;;
  function) build_function ;;
esac
