#!/usr/bin/env bash
# What preparing states costs, before and after warm chains: the same cells run
# twice by cachebench, once as before chains (CACHEBENCH_CHAINS=off: every warm run
# has a warming build of its own; CACHEBENCH_EMPTY=restart: local state emptied by a
# daemon restart on a fresh data-root) and once as now (chains; emptied without a
# restart). Prints, per mode, the whole command's wall time, the sum of the measured
# builds, their ratio, and the median prepare_ms per state and `warmed_by`.
#
#   bash scripts/chain-cost.sh [REPS]     (default 3; root; writes $OUT)
#
# CELLS_ARGS overrides the cells (default: buildkit and registry-cache, every
# state, both builders, the synthetic workload at DEPS_MB=16).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
OUT=${OUT:-results/chain-cost-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
BIN=${CACHEBENCH:-$PWD/target/release/cachebench}
[ -x "$BIN" ] || cargo build --release --locked
read -r -a CELLS <<<"${CELLS_ARGS:---strategy buildkit --strategy registry-cache --state cold --state warm-local --state warm-remote --builder docker --builder docker-container --build-arg DEPS_MB=16 --build-arg DEPS_ROUNDS=4 --build-arg SRC_ROUNDS=4}"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
for mode in before after; do
  env=()
  [ "$mode" = before ] && env=(CACHEBENCH_CHAINS=off CACHEBENCH_EMPTY=restart)
  t0=$(ms)
  env "${env[@]}" "$BIN" run scenarios/default.toml "${CELLS[@]}" --reps "$REPS" --out "$OUT/$mode" \
    >"$OUT/$mode.log" 2>&1 || echo "chain-cost: $mode exited $? (see $OUT/$mode.log)" >&2
  echo "$(( $(ms) - t0 ))" >"$OUT/$mode/wall-ms"
done
python3 - "$OUT" <<'PY' | tee "$OUT/chain-cost.md"
import json, statistics, sys, collections
out = sys.argv[1]
for mode in ("before", "after"):
    recs = [json.loads(l) for l in open(f"{out}/{mode}/runs.jsonl")]
    runs = [r for r in recs if r["status"] != "skipped" and r["kind"] == "measured"]
    wall = int(open(f"{out}/{mode}/wall-ms").read()) / 1000
    builds = sum(r.get("wall_ms") or 0 for r in runs) / 1000
    prep = sum(r.get("prepare_ms") or 0 for r in runs) / 1000
    ok = sum(r["state_check"] == "ok" for r in runs)
    print(f"## {mode}\n\nwhole run {wall:.1f} s, measured builds {builds:.1f} s "
          f"(ratio {wall / builds:.2f}), prepare {prep:.1f} s; state checks ok {ok}/{len(runs)}\n")
    print("| state | warmed_by | runs | median prepare_ms |\n|---|---|--:|--:|")
    by = collections.defaultdict(list)
    for r in runs:
        w = r.get("warmed_by") or "-"
        by[(r["state"], "measured N" if w.startswith("measured") else w)].append(r.get("prepare_ms") or 0)
    for (state, w), v in sorted(by.items()):
        print(f"| {state} | {w} | {len(v)} | {statistics.median(v):.0f} |")
    print()
PY
