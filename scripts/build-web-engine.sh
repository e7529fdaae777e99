#!/usr/bin/env bash
# Builds the browser engine (crates/encore-web: encore-engine through wasm-bindgen) into the
# admin's files, crates/encore-server/web/app/engine/, which encore-server compiles in:
#
#   encore_web.js        wasm-bindgen's loader (--target web: an ES module, no bundler)
#   encore_web_bg.wasm   the engine, optimized by wasm-opt -Oz (binaryen 123, as the Function)
#
# The files are committed so that `cargo build` alone gives a complete server; the build is
# reproducible (paths remapped, pinned wasm-bindgen, wasm-opt), so `--check` rebuilds them and
# fails if the committed files differ, which keeps them from going stale. Both modes hold the
# wasm to its budget: 150,000 B gzip -9.
#
# Usage: scripts/build-web-engine.sh [--check]
# Needs: the 1.95.0 toolchain with wasm32-unknown-unknown; wasm-bindgen-cli at the version of the
# wasm-bindgen crate in Cargo.lock (`cargo install wasm-bindgen-cli --version X`); Node 20+ and
# npm (tools/ installs binaryen@123.0.0); gzip.
set -euo pipefail

mode="${1:-build}"
case "$mode" in build|--check) ;; *)
  echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
out="$target/encore/web"
committed="$root/crates/encore-server/web/app/engine"
budget=150000

version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)"
bindgen="$(command -v wasm-bindgen || true)"
if [ -z "$bindgen" ] || [ "$("$bindgen" --version)" != "wasm-bindgen $version" ]; then
  echo "error: wasm-bindgen $version is needed (found: ${bindgen:-none}${bindgen:+ $("$bindgen" --version)});" >&2
  echo "       cargo install wasm-bindgen-cli --version $version" >&2
  exit 1
fi

echo "==> encore-web: cargo build --profile web (wasm32)"
# Source paths end up in the wasm (panic locations): one name for them on every machine.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
CARGO_TARGET_DIR="$target" \
  RUSTFLAGS="--remap-path-prefix=$root=/encore --remap-path-prefix=$cargo_home=/cargo" \
  cargo build --locked --profile web --target wasm32-unknown-unknown -p encore-web

rm -rf "$out" && mkdir -p "$out"
echo "==> $("$bindgen" --version) --target web"
"$bindgen" --target web --no-typescript --out-dir "$out" \
  "$target/wasm32-unknown-unknown/web/encore_web.wasm"

wasm_opt="$root/tools/node_modules/.bin/wasm-opt"
if [ ! -x "$wasm_opt" ]; then
  echo "==> tools: npm ci (binaryen@123.0.0)"
  (cd tools && npm ci --no-audit --no-fund)
fi
echo "==> wasm-opt $("$wasm_opt" --version)"
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --strip-debug --strip-producers \
  "$out/encore_web_bg.wasm" -o "$out/encore_web_bg.wasm"

raw=$(wc -c <"$out/encore_web_bg.wasm")
gz=$(gzip -9 -c "$out/encore_web_bg.wasm" | wc -c)
echo "    encore_web_bg.wasm: $raw B, $gz B gzip -9 (budget $budget B)"
if [ "$gz" -gt "$budget" ]; then
  echo "error: the browser engine is $gz B gzip -9, over the $budget B budget" >&2
  exit 1
fi

files=(encore_web.js encore_web_bg.wasm)
if [ "$mode" = "--check" ]; then
  for f in "${files[@]}"; do
    if ! cmp -s "$out/$f" "$committed/$f"; then
      echo "error: crates/encore-server/web/app/engine/$f differs from a fresh build;" >&2
      echo "       run scripts/build-web-engine.sh and commit the result" >&2
      exit 1
    fi
  done
  echo "    the committed engine equals a fresh build"
else
  mkdir -p "$committed"
  for f in "${files[@]}"; do cp "$out/$f" "$committed/$f"; done
  echo "    copied to $committed"
fi
