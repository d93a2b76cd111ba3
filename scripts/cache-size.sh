#!/usr/bin/env bash
# Cache size over successive warm runs, mode=max against mode=min: the default
# synthetic workload, RUNS source changes in a row on one warm-remote chain (each
# run imports the cache the run before exported, then exports its own), for
# registry-cache and local-cache. After every run cachebench records what the cache
# tag reaches in the registry (cache_bytes, cache_manifests, ecr_artifacts) and the
# local cache folder after rotation (local_cache_bytes, local_cache_files); this
# prints them run by run, per mode, as a Markdown table (docs/footprint.md).
#
#   bash scripts/cache-size.sh [RUNS]     (default 6; root; writes $OUT)
#
# gha-cache: set CACHE_SIZE_GHA=1 to add it once runs reach a gha cache service
# (the gha-cache stand-in of the gha-actions-cache branch, or a GitHub runner);
# without one its cells are skipped, and the table says so.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-6}
OUT=${OUT:-results/cache-size-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
BIN=${CACHEBENCH:-$PWD/target/release/cachebench}
[ -x "$BIN" ] || cargo build --release --locked
STRATS=(--strategy registry-cache --strategy local-cache)
[ "${CACHE_SIZE_GHA:-0}" = 1 ] && STRATS+=(--strategy gha-cache)
for mode in max min; do
  "$BIN" run scenarios/default.toml "${STRATS[@]}" --state warm-remote --change source \
    --reps "$RUNS" --cache-mode "$mode" --out "$OUT/$mode" >"$OUT/$mode.log" 2>&1 \
    || echo "cache-size: mode=$mode exited $? (see $OUT/$mode.log)" >&2
done
python3 - "$OUT" <<'PY' | tee "$OUT/cache-size.md"
import json, sys
out = sys.argv[1]
mib = lambda b: "–" if b is None else f"{b / 1048576:.1f}"
rows = {}
for mode in ("max", "min"):
    for line in open(f"{out}/{mode}/runs.jsonl"):
        r = json.loads(line)
        if r["kind"] != "measured":
            continue
        rows.setdefault((r["strategy"], r["rep"]), {})[mode] = r
print("| strategy | run | " + " | ".join(
    f"{what} (mode={m})" for m in ("max", "min")
    for what in ("cache MiB", "cache manifests", "ECR artifacts", "local folder MiB", "files")) + " |")
print("|---|--:|" + "--:|" * 10)
for (strategy, rep), by_mode in sorted(rows.items()):
    cells = []
    for m in ("max", "min"):
        r = by_mode.get(m)
        if r is None or r["status"] != "ok":
            why = "skipped" if r and r["status"] == "skipped" else "–"
            cells += [why] + ["–"] * 4
            continue
        cells += [mib(r.get("cache_bytes")), str(r.get("cache_manifests", "–")),
                  str(r.get("ecr_artifacts", "–")), mib(r.get("local_cache_bytes")),
                  str(r.get("local_cache_files") or "–")]
    print(f"| {strategy} | {rep} | " + " | ".join(cells) + " |")
PY
