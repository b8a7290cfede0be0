#!/usr/bin/env bash
# Builds the browser demo from a fresh clone into examples/web/dist/:
#   1. pixmize-web for wasm32-unknown-unknown with ../shared/tools/wasm-check
#      (Debian's rustc-web + build-std), size-tuned profile, SIMD128;
#   2. wasm-bindgen-cli at exactly the version of the `wasm-bindgen` crate in
#      Cargo.lock, installed once under target/web-tools/;
#   3. wasm-opt from Debian's binaryen, when installed;
#   4. the page (www/) next to the generated pkg/.
#
# usage: examples/web/build.sh
# Knobs (environment), the defaults being what the README's numbers measure:
#   PIXMIZE_WEB_OPT_LEVEL  rustc opt-level: s (default), z, 2 or 3
#   PIXMIZE_WEB_SIMD       1 (default): -C target-feature=+simd128; 0: without the
#                          flag (fast_image_resize keeps its SIMD128 kernels on
#                          wasm32 regardless, so the module still needs SIMD)
#   PIXMIZE_WEB_WASM_OPT   wasm-opt level: -O3 (default), -Oz, or none
#   PIXMIZE_WEB_FEATURES   cargo features (default: the crate's defaults)
#   PIXMIZE_WEB_DIST       output folder (default examples/web/dist)
#   WASM_CHECK             the wasm-check tool (default ../shared/tools/wasm-check)
#   CARGO_TARGET_DIR       the wasm build's target dir (default target/wasm-web)
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$web/../.." && pwd)"
cd "$root"

opt_level="${PIXMIZE_WEB_OPT_LEVEL:-s}"
simd="${PIXMIZE_WEB_SIMD:-1}"
wasm_opt_level="${PIXMIZE_WEB_WASM_OPT:--O3}"
dist="${PIXMIZE_WEB_DIST:-$web/dist}"
wasm_check="${WASM_CHECK:-$root/../shared/tools/wasm-check}"
tools="$root/target/web-tools"
say() { echo "build.sh: $*" >&2; }

if [ ! -x "$wasm_check" ]; then
  say "$wasm_check is not available: it builds for wasm32 with Debian's rustc-web"
  exit 2
fi

# --- 1. wasm-bindgen-cli, the exact version the lockfile pins -------------
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$version" ] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
bindgen="$tools/bin/wasm-bindgen"
if [ "$("$bindgen" --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  say "installing wasm-bindgen-cli $version into $tools (once)"
  # --locked first; if the registry lacks a version the CLI's own lockfile
  # pins, resolve its dependencies afresh (the CLI itself stays at $version).
  # Only the `wasm-bindgen` binary, without TLS (its default `rustls-tls`
  # feature serves the test runner's downloads and builds aws-lc's C code),
  # and with a build profile tuned for compile time: the CLI's work on a
  # 3 MB module takes well under a second either way.
  install=(cargo install wasm-bindgen-cli --version "=$version" --root "$tools" --quiet
    --no-default-features --bin wasm-bindgen)
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=false
  if ! "${install[@]}" --locked; then
    say "the CLI's lockfile does not resolve here; installing $version without --locked"
    "${install[@]}"
  fi
  unset CARGO_PROFILE_RELEASE_OPT_LEVEL CARGO_PROFILE_RELEASE_LTO \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS CARGO_PROFILE_RELEASE_DEBUG
fi

# --- 2. the wasm build -----------------------------------------------------
# Profiles are workspace-wide, so the size-tuned settings go in through
# cargo's environment and leave the native release profile alone.
target_dir="${CARGO_TARGET_DIR:-$root/target/wasm-web}"
# No reference types: the API passes only bytes, strings and numbers, and
# Debian 12's wasm-opt (binaryen 108) mis-numbers the export of the externref
# table wasm-bindgen adds when they are on (the page then fails to start).
rustflags=("-C" "target-feature=-reference-types")
if [ "$simd" = 1 ]; then rustflags+=("-C" "target-feature=+simd128"); else target_dir="$target_dir/scalar"; fi
features=()
if [ -n "${PIXMIZE_WEB_FEATURES:-}" ]; then features=(--no-default-features --features "$PIXMIZE_WEB_FEATURES"); fi
say "cargo build (wasm32, opt-level $opt_level, simd128 $simd) into $target_dir"
CARGO_TARGET_DIR="$target_dir" \
  RUSTFLAGS="${rustflags[*]:-}" \
  CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt_level" \
  CARGO_PROFILE_RELEASE_LTO=fat \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
  CARGO_PROFILE_RELEASE_PANIC=abort \
  CARGO_PROFILE_RELEASE_DEBUG=false \
  CARGO_PROFILE_RELEASE_INCREMENTAL=false \
  "$wasm_check" -p pixmize-web --lib "${features[@]}"
raw="$target_dir/wasm32-unknown-unknown/release/pixmize_web.wasm"

# --- 3. bindings, wasm-opt, the page ---------------------------------------
rm -rf "$dist"
mkdir -p "$dist/pkg"
"$bindgen" --target web --out-dir "$dist/pkg" --out-name pixmize_web \
  --remove-name-section --remove-producers-section "$raw"
wasm="$dist/pkg/pixmize_web_bg.wasm"
if [ "$wasm_opt_level" != none ] && command -v wasm-opt >/dev/null; then
  # The features rustc enables for wasm32-unknown-unknown (less reference
  # types, see above), plus SIMD.
  if wasm-opt "$wasm_opt_level" --enable-simd --enable-bulk-memory --enable-sign-ext \
    --enable-nontrapping-float-to-int --enable-mutable-globals --enable-multivalue \
    "$wasm" -o "$wasm.opt" 2>"$dist/wasm-opt.log"; then
    mv "$wasm.opt" "$wasm"
    rm -f "$dist/wasm-opt.log"
  else
    say "wasm-opt failed (kept the unoptimised module): $(head -c 300 "$dist/wasm-opt.log")"
    rm -f "$wasm.opt"
  fi
elif [ "$wasm_opt_level" != none ]; then
  say "wasm-opt not found (apt-get install binaryen): the module is not post-optimised"
fi
cp "$web"/www/*.html "$web"/www/*.js "$web"/www/*.css "$dist/"
raw_size=$(stat -c %s "$raw")
size=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
say "wasm: $raw_size bytes from rustc, $size bytes served ($gz gzipped) -> $dist"
