#!/usr/bin/env bash
# The README's findings, per image store x builder, measured with cachebench itself
# on its own engine (nothing here is typed in by hand):
#   1. timings: strategy buildkit, cold and warm-local with a source change, REPS
#      reps, on both stores and both builders: builder creation on a cold runner
#      (BuildKit image pull + boot, docker-container only) and the cost of --load
#      (the `load` phase);
#   2. capability and footprint: every strategy that pushes or exports cache, cold,
#      one rep: which ones can export cache (skipped cells carry the engine's own
#      reason) and the manifests push, load-push and inline-cache leave.
#
# Usage: bash scripts/findings.sh [OUT]        (default results/findings-<time>)
# Environment: REPS (default 5), DEPS_MB (default 64), CACHEBENCH (the binary;
# default target/release/cachebench, built when missing).
# Writes OUT/timings/ and OUT/capability/ (each a cachebench results folder) and
# OUT/findings.md (the tables), and prints the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
DEPS_MB=${DEPS_MB:-64}
OUT=${1:-results/findings-$(date -u +%Y%m%dT%H%M%SZ)}
BIN=${CACHEBENCH:-target/release/cachebench}
[ -x "$BIN" ] || cargo build --release --locked
mkdir -p "$OUT"

COMMON=(--context dockerfiles/synthetic --source-file src/main.txt --deps-file deps.txt
  --build-arg "DEPS_MB=$DEPS_MB" --build-arg DEPS_ROUNDS=1 --build-arg SRC_ROUNDS=1
  --builder docker --builder docker-container --image-store classic --image-store containerd)

# Exit 1 (some run failed) still leaves records to summarise; failed runs are
# named in the output and left out of the medians.
status=0
"$BIN" run "${COMMON[@]}" --strategy buildkit --state cold --state warm-local --change source \
  --reps "$REPS" --out "$OUT/timings" >&2 || status=$?
"$BIN" run "${COMMON[@]}" --strategy push --strategy load-push --strategy inline-cache \
  --strategy registry-cache --strategy local-cache --strategy gha-cache --state cold --change none \
  --reps 1 --out "$OUT/capability" >&2 || status=$?

python3 - "$OUT" "$REPS" "$DEPS_MB" <<'PY'
import csv, os, statistics, sys
out, reps, deps_mb = sys.argv[1], sys.argv[2], sys.argv[3]
def rows(name):
    p = os.path.join(out, name, "runs.csv")
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []
def ok(r):
    return r["status"] == "ok" and r["kind"] == "measured" and r.get("state_check", "ok") in ("", "ok")
def med(vals):
    v = [int(x) for x in vals if x not in ("", None)]
    return statistics.median(v) if v else None
def s(ms):
    return "–" if ms is None else f"{ms / 1000:.2f} s"
combos = [(st, b) for st in ("classic", "containerd") for b in ("docker", "docker-container")]
timing = rows("timings")
lines = [f"Timings (strategy buildkit, {deps_mb} MB dependency layer, a source change; medians of {reps} runs):", "",
         "| store | builder | cold wall | builder creation on a cold runner (pull + boot) | `--load` cold | warm-local wall | `--load` warm-local |",
         "|---|---|--:|--:|--:|--:|--:|"]
left_out = []
for st, b in combos:
    sel = lambda state: [r for r in timing if r["image_store"] == st and r["builder"] == b and r["state"] == state]
    cold, warm = [r for r in sel("cold") if ok(r)], [r for r in sel("warm-local") if ok(r)]
    left_out += [r for r in sel("cold") + sel("warm-local") if not ok(r) and r["kind"] == "measured"]
    create = "–"
    if b == "docker-container" and cold:
        create = f"{s(med(r['builder_create_ms'] for r in cold))} ({s(med(r['builder_pull_ms'] for r in cold))} + {s(med(r['builder_boot_ms'] for r in cold))})"
    lines.append(f"| {st} | {b} | {s(med(r['wall_ms'] for r in cold))} (n={len(cold)}) | {create} | "
                 f"{s(med(r['load_ms'] for r in cold))} | {s(med(r['wall_ms'] for r in warm))} (n={len(warm)}) | "
                 f"{s(med(r['load_ms'] for r in warm))} |")
cap = rows("capability")
strategies = ["push", "load-push", "inline-cache", "registry-cache", "local-cache", "gha-cache"]
lines += ["", "What each strategy does on a cold run (manifests left in the registry, of which attestations; "
          "`skipped` cells carry the engine's or the environment's own reason):", "",
          "| store | builder | " + " | ".join(f"`{x}`" for x in strategies) + " |",
          "|---|---|" + "--:|" * len(strategies)]
reasons = {}
for st, b in combos:
    cells = []
    for x in strategies:
        r = next((r for r in cap if r["image_store"] == st and r["builder"] == b and r["strategy"] == x), None)
        if r is None:
            cells.append("–")
        elif r["status"] == "ok":
            cells.append(f"{r['registry_manifests']} ({r['registry_attestations']})")
        else:
            n = reasons.setdefault(r["reason"], len(reasons) + 1)
            cells.append(f"{r['status']} [{n}]")
    lines.append(f"| {st} | {b} | " + " | ".join(cells) + " |")
lines.append("")
for reason, n in reasons.items():
    lines.append(f"[{n}] {reason}")
if left_out:
    lines += ["", "Runs left out of the medians:"] + [
        f"- {r['strategy']}/{r['builder']}/{r['state']}/{r['image_store']} rep {r['rep']}: {r['status']} {r['reason'] or r.get('state_check', '')}"
        for r in left_out]
text = "\n".join(lines) + "\n"
open(os.path.join(out, "findings.md"), "w").write(text)
print(text)
PY
echo "results: $OUT" >&2
exit "$status"
