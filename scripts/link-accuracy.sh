#!/usr/bin/env bash
# How faithful `--link` is on this machine: runs examples/link_accuracy.rs (release)
# RUNS times and summarises: bulk rate through the shaping proxy at 50, 200 and
# 1000 Mbit/s each way (bar: within 10% of the target), round-trip time of small
# pings at 20 and 100 ms (bar: within 2 ms), and the pass-through proxy against
# direct loopback (bar: under 5% throughput cost). See docs/link.md.
#
#   bash scripts/link-accuracy.sh [RUNS]     (default 3; writes $OUT)
#
# Loopback only; no root, no Docker. Each run takes about 30 s and loads the CPU:
# other work on the machine shows in the figures (each run records the load average).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
OUT=${OUT:-results/link-accuracy-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
cargo build --release --locked --example link_accuracy
for i in $(seq 1 "$RUNS"); do
  echo "== run $i of $RUNS"
  ./target/release/examples/link_accuracy "$OUT/run-$i" | tee "$OUT/run-$i.txt"
done
python3 - "$OUT" "$RUNS" <<'PY' | tee "$OUT/summary.md"
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
reports = [json.load(open(f"{out}/run-{i}/link-accuracy.json")) for i in range(1, runs + 1)]
print(f"{runs} runs, {reports[0]['cores']} cores, from {reports[0]['date']}; load average "
      + ", ".join(r["loadavg_before"] for r in reports) + "\n")
print("| test | case | target | achieved (median of runs) | worst error | runs within bar |")
print("|---|---|--:|--:|--:|--:|")
for k, row in enumerate(reports[0]["rows"]):
    rows = [r["rows"][k] for r in reports]
    ok = f"{sum(r['pass'] is True for r in rows)}/{runs}" if row["pass"] is not None else "no bar"
    if "error_ratio" in row:
        med = statistics.median(r["achieved_mbit"] for r in rows)
        worst = max((r["error_ratio"] for r in rows), key=abs)
        achieved, err = f"{med:.1f} Mbit/s", f"{worst * 100:+.1f}%"
    elif "error_ms" in row:
        med = statistics.median(r["achieved_ms"] for r in rows)
        worst = max((r["error_ms"] for r in rows), key=abs)
        achieved, err = f"{med:.2f} ms", f"{worst:+.2f} ms"
    elif "cost_ratio" in row:
        d = statistics.median(r["direct_mbit"] for r in rows)
        p = statistics.median(r["passthrough_mbit"] for r in rows)
        worst = max(r["cost_ratio"] for r in rows)
        row = dict(row, target=f"direct {d:.0f} Mbit/s")
        achieved, err = f"{p:.0f} Mbit/s", f"-{worst * 100:.1f}%"
    elif "passthrough_ms" in row:
        d = statistics.median(r["direct_ms"] for r in rows)
        p = statistics.median(r["passthrough_ms"] for r in rows)
        row = dict(row, target=f"direct {d:.3f} ms")
        achieved, err = f"{p:.3f} ms", f"{p - d:+.3f} ms"
    else:
        achieved, err = row["achieved"], row["error"]
    print(f"| {row['test']} | {row['case']} | {row['target']} | {achieved} | {err} | {ok} |")
PY
echo "wrote $OUT"
