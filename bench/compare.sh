#!/usr/bin/env bash
# compare.sh - time Pixmize against vipsthumbnail and the in-process peers
# (sharp, pyvips, Pillow) in ONE run on THIS machine, on the job of issue 3:
# a 16-20 MP JPEG to an 800 px wide JPEG q80, one thread pinned to one CPU.
#
# usage: bench/compare.sh [IMAGE...]       (run from the repository root)
#
# Default images: ../shared/images/seeding-5312x2988.jpg (16 MP progressive)
# and, when libvips-tools is installed, a 20 MP baseline JPEG made from it.
#
# Rows:
#   pixmize (proc)        the whole process, timed from outside:
#                         RAYON_NUM_THREADS=1 taskset -c $PIN_CPU \
#                           target/release/examples/pixmize IN --tr "w-800,q-80" -o OUT.jpg
#   pixmize (in-process)  the same job inside one process: the criterion bench
#                         `pipeline` of pixmize-core/benches/codec.rs
#                         (LocalProcessor::process_sync with w-800,q-80:
#                         decode with shrink-on-load, fast_image_resize
#                         Lanczos3, encode), median of its samples
#   vipsthumbnail (proc)  Debian's libvips-tools: vipsthumbnail IN --size 800x
#                         -o OUT.jpg[Q=80,strip], VIPS_CONCURRENCY=1
#   sharp/pyvips/pillow   whole process and in-process loops from the peer
#                         scripts of ../shared/bench (set PEERS_DIR to a copy
#                         where setup_peers.sh has run: it needs node_modules/
#                         and .venv/); each is skipped, with a message, when
#                         not installed
# Ratios: every row against vipsthumbnail (proc) and against sharp
# (in-process). Peak RSS is /usr/bin/time -f %M of a whole process (median of
# 3); for in-process loops it is the peak of the whole loop process.
#
# Knobs (environment):
#   RUNS=15 WARMUP=3     timed runs per case, untimed runs before them
#   WIDTH=800 QUALITY=80
#   PIN_CPU=<last CPU>   the CPU everything is pinned to
#   PEERS_DIR=../shared/bench
#   PIXMIZE_BIN=target/release/examples/pixmize   (built if missing)
#   OUR_CMD='...'        command template for our whole-process row, with
#                        {in} {out} {w} {q}; default:
#                        '$PIXMIZE_BIN {in} --tr w-{w},q-{q} -o {out}'
#   INPROC=1             0 skips the criterion in-process row
#   INSTALL=1            apt-get install the Debian tools that are missing
#                        (libvips-tools, time, util-linux); needs root
#   OUT=/tmp/pixmize-compare   results (table.md, raw numbers)
# Network: none, except the package registries when INSTALL=1 or when cargo
# has to fetch crates to build our binaries.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-15}
WARMUP=${WARMUP:-3}
WIDTH=${WIDTH:-800}
QUALITY=${QUALITY:-80}
NPROC=$(nproc)
PIN_CPU=${PIN_CPU:-$((NPROC - 1))}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/bench}
PIXMIZE_BIN=${PIXMIZE_BIN:-$ROOT/target/release/examples/pixmize}
OUR_CMD=${OUR_CMD:-"$PIXMIZE_BIN {in} --tr w-{w},q-{q} -o {out}"}
INPROC=${INPROC:-1}
INSTALL=${INSTALL:-0}
OUT=${OUT:-/tmp/pixmize-compare}
mkdir -p "$OUT"
RAW="$OUT/raw.tsv"
: > "$RAW"

say() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

if [ "$INSTALL" = 1 ]; then
  missing=()
  have vipsthumbnail || missing+=(libvips-tools)
  [ -x /usr/bin/time ] || missing+=(time)
  have taskset || missing+=(util-linux)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
have python3 || { say "compare.sh needs python3 (for medians and the table)"; exit 1; }
PIN=()
if have taskset; then PIN=(taskset -c "$PIN_CPU"); else say "note: taskset missing (util-linux); runs are not pinned"; fi
HAVE_TIME=0; [ -x /usr/bin/time ] && HAVE_TIME=1
[ "$HAVE_TIME" = 1 ] || say "note: /usr/bin/time missing (Debian package 'time'); no peak RSS"

# one-thread environment for every tool
ONE=(env RAYON_NUM_THREADS=1 VIPS_CONCURRENCY=1 OMP_NUM_THREADS=1 SHARP_CONCURRENCY=1)

# ---- inputs ------------------------------------------------------------------
IMAGES=("$@")
if [ ${#IMAGES[@]} -eq 0 ]; then
  SEED="$ROOT/../shared/images/seeding-5312x2988.jpg"
  [ -f "$SEED" ] || { say "no IMAGE given and $SEED not found"; exit 2; }
  IMAGES=("$SEED")
  if have vips; then
    B20="$OUT/seeding-20mp-baseline.jpg"
    [ -f "$B20" ] || vips resize "$SEED" "$B20[Q=85,strip,subsample_mode=on]" 1.1265
    IMAGES+=("$B20")
  fi
fi

# ---- our binaries ---------------------------------------------------------------
if [[ "$OUR_CMD" == "$PIXMIZE_BIN "* ]] && [ ! -x "$PIXMIZE_BIN" ]; then
  say "building the pixmize example (release)"
  cargo build --release --example pixmize >&2
fi
BENCH_EXE=""
if [ "$INPROC" = 1 ]; then
  say "building the pixmize-core codec bench (release)"
  BENCH_EXE=$(cargo bench -p pixmize-core --bench codec --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    try: m = json.loads(l)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "codec": print(m["executable"])' | tail -1)
  [ -n "$BENCH_EXE" ] || say "skipped: pixmize in-process row (the codec bench did not build)"
fi

# ---- measuring helpers -----------------------------------------------------------
median() { python3 -c 'import statistics,sys; print("%.1f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

# proc NAME IMAGE OUTFILE CMD... : whole-process median wall time and peak RSS
proc() {
  local name=$1 img=$2 out=$3; shift 3
  local t=() i s e rss=-
  say ">> $name: $*"
  for ((i = 0; i < WARMUP + RUNS; i++)); do
    s=$(date +%s%N)
    if ! "${ONE[@]}" "${PIN[@]}" "$@" >/dev/null 2>"$OUT/err.txt"; then
      say "   FAILED: $(head -c 300 "$OUT/err.txt")"; return 0
    fi
    e=$(date +%s%N)
    [ "$i" -ge "$WARMUP" ] && t+=("$(( (e - s) / 1000 ))e-3")
  done
  if [ "$HAVE_TIME" = 1 ]; then
    rss=$(for _ in 1 2 3; do "${ONE[@]}" "${PIN[@]}" /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 2p)
    rss=$(( rss / 1024 ))
  fi
  local kb=-; [ -f "$out" ] && kb=$(( $(stat -c %s "$out") / 1024 ))
  printf '%s\t%s\tproc\t%s\t%s\t%s\n' "$(basename "$img")" "$name" "$(median "${t[@]}")" "$rss" "$kb" >> "$RAW"
}

# inproc NAME IMAGE CMD... : CMD prints the peers' JSON ({times_ms, peak_rss_kb, out_bytes})
inproc() {
  local name=$1 img=$2; shift 2
  say ">> $name (in-process): $*"
  if ! "${ONE[@]}" "${PIN[@]}" "$@" > "$OUT/inproc.json" 2>"$OUT/err.txt"; then
    say "   FAILED: $(head -c 300 "$OUT/err.txt")"; return 0
  fi
  python3 - "$OUT/inproc.json" "$WARMUP" "$(basename "$img")" "$name" >> "$RAW" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1])); w = int(sys.argv[2])
t = d["times_ms"][w:] or d["times_ms"]
kb = round(d["out_bytes"] / 1024) if d.get("out_bytes") else "-"
print("%s\t%s\tinproc\t%.1f\t%d\t%s" % (sys.argv[3], sys.argv[4], statistics.median(t), round(d["peak_rss_kb"] / 1024), kb))
PY
}

# ---- runs ----------------------------------------------------------------------
NODE_OK=0; [ -d "$PEERS_DIR/node/node_modules/sharp" ] && have node && NODE_OK=1
PY="$PEERS_DIR/.venv/bin/python"
PY_OK=0; [ -x "$PY" ] && PY_OK=1
[ "$NODE_OK" = 1 ] || say "skipped: sharp (no $PEERS_DIR/node/node_modules/sharp or no node; run setup_peers.sh in a copy of ../shared/bench and set PEERS_DIR)"
[ "$PY_OK" = 1 ] || say "skipped: pyvips and Pillow (no $PY; run setup_peers.sh as above)"
have vipsthumbnail || say "skipped: vipsthumbnail (Debian package libvips-tools; INSTALL=1 installs it)"

for IMG in "${IMAGES[@]}"; do
  IMG=$(readlink -f "$IMG")
  say "== $(basename "$IMG") -> ${WIDTH} px wide JPEG q${QUALITY}, 1 thread on CPU $PIN_CPU, $RUNS runs"
  cmd=${OUR_CMD//\{in\}/$IMG}; cmd=${cmd//\{out\}/$OUT/pixmize.jpg}; cmd=${cmd//\{w\}/$WIDTH}; cmd=${cmd//\{q\}/$QUALITY}
  rm -f "$OUT/pixmize.jpg"
  # shellcheck disable=SC2086
  proc "pixmize" "$IMG" "$OUT/pixmize.jpg" $cmd
  if [ -n "$BENCH_EXE" ]; then
    say ">> pixmize (in-process, criterion bench 'pipeline')"
    if CRITERION_HOME="$OUT/criterion" PIXMIZE_BENCH_IMAGE="$IMG" PIXMIZE_BENCH_WIDTH="$WIDTH" \
        "${ONE[@]}" "${PIN[@]}" "$BENCH_EXE" --bench "^pipeline/" --noplot >"$OUT/criterion.log" 2>&1; then
      est=$(find "$OUT/criterion/pipeline" -path '*/new/estimates.json' | head -1)
      ms=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1e6))' "$est")
      printf '%s\t%s\tinproc\t%s\t-\t-\n' "$(basename "$IMG")" "pixmize" "$ms" >> "$RAW"
      rm -rf "$OUT/criterion"
    else
      say "   FAILED: see $OUT/criterion.log"
    fi
  fi
  if have vipsthumbnail; then
    proc "vipsthumbnail" "$IMG" "$OUT/vipsthumbnail.jpg" vipsthumbnail "$IMG" --size "${WIDTH}x" -o "$OUT/vipsthumbnail.jpg[Q=$QUALITY,strip]"
  fi
  if [ "$NODE_OK" = 1 ]; then
    proc "sharp" "$IMG" "$OUT/sharp.jpg" node "$PEERS_DIR/node/peer_sharp.js" thumb "$IMG" "$WIDTH" 1 "$OUT/sharp.jpg"
    inproc "sharp" "$IMG" node "$PEERS_DIR/node/peer_sharp.js" thumb "$IMG" "$WIDTH" $((WARMUP + RUNS)) "$OUT/sharp-loop.jpg"
  fi
  if [ "$PY_OK" = 1 ]; then
    inproc "pyvips" "$IMG" "$PY" "$PEERS_DIR/peer_pyvips.py" thumb "$IMG" "$WIDTH" $((WARMUP + RUNS)) "$OUT/pyvips.jpg"
    inproc "pillow" "$IMG" "$PY" "$PEERS_DIR/peer_pillow.py" thumb "$IMG" "$WIDTH" $((WARMUP + RUNS)) "$OUT/pillow.jpg"
  fi
done

# ---- table -----------------------------------------------------------------------
python3 - "$RAW" > "$OUT/table.md" <<'PY'
import collections, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by_img = collections.OrderedDict()
for r in rows:
    by_img.setdefault(r[0], []).append(r)
for img, rs in by_img.items():
    ref = {(r[1], r[2]): float(r[3]) for r in rs}
    vips, sharp = ref.get(("vipsthumbnail", "proc")), ref.get(("sharp", "inproc"))
    sharp_rss = next((r[4] for r in rs if r[1] == "sharp" and r[2] == "proc"), None)
    print(f"#### {img}\n")
    print("| tool | kind | median ms | ÷ vipsthumbnail | ÷ sharp in-process | peak RSS MiB | out KB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in sorted(rs, key=lambda r: float(r[3])):
        ms = float(r[3])
        rv = f"{ms / vips:.2f}" if vips else "n/a"
        rsh = f"{ms / sharp:.2f}" if sharp else "n/a"
        print(f"| {r[1]} | {r[2]} | {ms:.1f} | {rv} | {rsh} | {r[4]} | {r[5]} |")
    ours = ref.get(("pixmize", "proc")), ref.get(("pixmize", "inproc"))
    print()
    if ours[0] and vips:
        print(f"- whole process vs vipsthumbnail: **{ours[0] / vips:.2f}** (bar: at or below 1.0)")
    if ours[1] and sharp:
        print(f"- in-process vs sharp in-process: **{ours[1] / sharp:.2f}** (bar: within 1.2)")
    our_rss = next((r[4] for r in rs if r[1] == "pixmize" and r[2] == "proc"), None)
    if our_rss and sharp_rss and our_rss != "-" and sharp_rss != "-":
        print(f"- peak RSS, whole process: pixmize {our_rss} MiB vs sharp {sharp_rss} MiB (bar: at or below sharp's)")
    print()
PY
cat "$OUT/table.md"
say "results: $OUT/table.md, $RAW"
