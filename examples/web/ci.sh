#!/usr/bin/env bash
# The browser demo in CI (called by .ci/run): builds the WebAssembly demo and
# the native reference, installs Chromium and the npm dev-dependencies when
# missing, and runs the real-browser test. Skips, with a message, where this
# machine lacks ../shared/tools/wasm-check (the wasm32 toolchain).
set -euo pipefail
web="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$web/../.." && pwd)"
cd "$root"

if [ ! -x ../shared/tools/wasm-check ]; then
  echo "skipped: ../shared/tools/wasm-check is not available"
  exit 0
fi

# Debian: chromium (the browser under test), binaryen (wasm-opt, optional).
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v wasm-opt >/dev/null 2>&1 || need+=(binaryen)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${need[*]} from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need[*]} (run as root to install them)" >&2
    exit 1
  fi
fi
command -v npm >/dev/null 2>&1 || { echo "node and npm are needed for the browser test" >&2; exit 1; }

# playwright-core (never downloads a browser) and pica, from the lockfile.
(cd "$web" && npm ci --no-audit --no-fund --loglevel=error)

"$web/build.sh"
cargo build -p pixmize-web --example web-reference --quiet
PIXMIZE_WEB_REFERENCE="${CARGO_TARGET_DIR:-$root/target}/debug/examples/web-reference" \
  node "$web/test/browser.test.mjs"
