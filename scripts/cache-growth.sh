#!/usr/bin/env bash
# How big a local-cache folder gets over successive warm builds, with and without
# the `-new` rotation (cache-to dest=DIR-new, then moved over DIR), against
# actions/cache's 10 GiB repository quota. cachebench runs one warm-local chain of
# local-cache builds per mode, each build after a change (default `deps`, which
# replaces the DEPS_MB dependency layer), and records the folder's size after
# each (`local_cache_bytes` in runs.jsonl). Prints a table per mode: the size after
# each build, the growth per build, and the builds until 10 GiB at that growth.
#
#   bash scripts/cache-growth.sh [BUILDS]     (default 8; root; writes $OUT)
#
# CHANGE=source|deps (default deps), DEPS_MB (default 16), CACHEBENCH (the binary;
# default target/release/cachebench, built when missing); REPORT_ONLY=1 re-reads
# an existing $OUT without running.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILDS=${1:-8}
CHANGE=${CHANGE:-deps}
DEPS_MB=${DEPS_MB:-16}
OUT=${OUT:-results/cache-growth-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
BIN=${CACHEBENCH:-$PWD/target/release/cachebench}
[ -n "${REPORT_ONLY:-}" ] || [ -x "$BIN" ] || cargo build --release --locked
for rotate in on off; do
  [ -n "${REPORT_ONLY:-}" ] && continue
  "$BIN" run --context dockerfiles/synthetic --source-file src/main.txt --deps-file deps.txt \
    --build-arg "DEPS_MB=$DEPS_MB" --build-arg DEPS_ROUNDS=1 \
    --strategy local-cache --state warm-local --change "$CHANGE" --reps "$BUILDS" \
    --local-cache-rotate "$rotate" --out "$OUT/rotate-$rotate" \
    >"$OUT/rotate-$rotate.log" 2>&1 || echo "cache-growth: rotate=$rotate exited $? (see $OUT/rotate-$rotate.log)" >&2
done
python3 - "$OUT" "$CHANGE" "$DEPS_MB" <<'PY' | tee "$OUT/cache-growth.md"
import json, sys
out, change, deps_mb = sys.argv[1], sys.argv[2], sys.argv[3]
QUOTA = 10 * 1024**3
MiB = 1024**2
print(f"local-cache folder size after each warm-local build ({change} change, DEPS_MB={deps_mb})\n")
for rotate in ("on", "off"):
    recs = [json.loads(l) for l in open(f"{out}/rotate-{rotate}/runs.jsonl")]
    runs = [r for r in recs if r["kind"] == "measured" and r.get("local_cache_bytes")]
    sizes = [r["local_cache_bytes"] for r in runs]
    if not sizes:
        print(f"## rotation {rotate}: no measured run with a folder size\n")
        continue
    growth = (sizes[-1] - sizes[0]) / max(len(sizes) - 1, 1)
    print(f"## rotation {rotate}\n")
    print("| build | folder MiB | status |")
    print("|---:|---:|---|")
    for i, r in enumerate(runs, 1):
        print(f"| {i} | {r['local_cache_bytes'] / MiB:.1f} | {r['status']} |")
    # Less than 1 KiB a build is no growth (metadata).
    left = (QUOTA - sizes[-1]) / growth if growth >= 1024 else float("inf")
    until = "never (no growth)" if left == float("inf") else f"about {left:.0f} more builds"
    print(f"\ngrowth {growth / MiB:.1f} MiB per build; 10 GiB quota reached: {until}\n")
PY
