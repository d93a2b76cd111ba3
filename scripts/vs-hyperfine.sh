#!/usr/bin/env bash
# cachebench beside hyperfine, in one run, on one machine and one workload.
#
#   bash scripts/vs-hyperfine.sh [REPS] [SCENARIO]    (defaults: 5, scenarios/default.toml; root)
#
# 1. Matrix: times `cachebench run SCENARIO` end to end and divides that wall time by
#    the sum of its measured builds (the preparation overhead ratio).
# 2. Cells: for each cell of CELLS (default: buildkit warm-local and registry-cache
#    warm-remote, after a source change), hyperfine with a chained --prepare on a
#    private dockerd + registry (scripts/lib/own-engine.sh), then cachebench on the same
#    cell with the same repetitions (its own engine, as a user runs it), and once more
#    on hyperfine's private engine (`--docker-host --allow-prune`: an engine already
#    running, like for like). Walls are the whole command's; for cachebench on its
#    own engine they include starting and removing that engine.
# Output: $OUT/vs-hyperfine.md (tables) and the raw exports.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
SCENARIO=${2:-scenarios/default.toml}
OUT=${OUT:-results/vs-hyperfine-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
BIN=${CACHEBENCH:-$PWD/target/release/cachebench}
[ -x "$BIN" ] || cargo build --release --locked
command -v hyperfine >/dev/null || { echo "vs-hyperfine: hyperfine is missing: apt-get install hyperfine" >&2; exit 2; }
# The workload: the scenario's context and build args.
read -r CTX_SRC ARGS_LINE < <(python3 - "$SCENARIO" <<'PY'
import os, sys, tomllib
p = sys.argv[1]; s = tomllib.load(open(p, "rb"))
w = s["workload"]
ctx = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(p)), w["context"]))
args = " ".join(f"--build-arg {k}={v}" for k, v in w.get("build_args", {}).items())
print(ctx, args)
PY
)
read -r -a ARGS <<<"$ARGS_LINE"
ms() { echo $(( $(date +%s%N) / 1000000 )); }

if [ "${SKIP_MATRIX:-0}" != 1 ]; then
  t0=$(ms)
  "$BIN" run "$SCENARIO" --reps "$REPS" --out "$OUT/matrix" >"$OUT/matrix.log" 2>&1 || echo "vs-hyperfine: the matrix run exited $? (see $OUT/matrix.log)" >&2
  echo "$(( $(ms) - t0 ))" >"$OUT/matrix-wall-ms"
fi

CELLS=${CELLS:-"buildkit:warm-local registry-cache:warm-remote"}
for cell in $CELLS; do
  IFS=: read -r s st <<<"$cell"
  t0=$(ms)
  "$BIN" run --context "$CTX_SRC" --source-file src/main.txt "${ARGS[@]}" --strategy "$s" --state "$st" \
    --change source --builder docker --reps "$REPS" --out "$OUT/cachebench-$s-$st" >"$OUT/cachebench-$s-$st.log" 2>&1 ||
    echo "vs-hyperfine: cachebench $cell exited $?" >&2
  echo "$(( $(ms) - t0 ))" >"$OUT/cachebench-$s-$st/wall-ms"
done

# hyperfine's side, on a private engine.
# shellcheck source=scripts/lib/own-engine.sh
. scripts/lib/own-engine.sh
trap own_engine_cleanup EXIT
# shellcheck disable=SC2119 # no image to seed beyond the base image
own_engine_start
CTX=$W/ctx; cp -r "$CTX_SRC" "$CTX"
IMG=$REG/hf:img CACHE=$REG/hf:cache
B="docker buildx build -f $CTX/Dockerfile ${ARGS[*]} -t $IMG"
CHANGE="date +%s%N >> $CTX/src/main.txt"
for cell in $CELLS; do
  IFS=: read -r s st <<<"$cell"
  case $cell in
    buildkit:warm-local)
      setup="$B --load $CTX"; prepare="$CHANGE"; cmd="$B --load $CTX" ;;
    registry-cache:warm-remote)
      cmd="$B --cache-from type=registry,ref=$CACHE --cache-to type=registry,ref=$CACHE,mode=max,image-manifest=true,oci-mediatypes=true --load $CTX"
      setup="$cmd"; prepare="docker buildx prune -af && (docker image rm -f $IMG || true) && $CHANGE" ;;
    *) echo "vs-hyperfine: no hyperfine recipe for $cell" >&2; continue ;;
  esac
  # Each cell starts from an empty engine, as cachebench's does: without this the
  # second cell's setup build would reuse the first cell's build cache.
  setup="docker buildx prune -af >/dev/null && (docker image rm -f $IMG >/dev/null 2>&1 || true) && $setup"
  t0=$(ms)
  hyperfine --runs "$REPS" --setup "$setup" --prepare "$prepare" --export-json "$OUT/hyperfine-$s-$st.json" \
    --show-output "$cmd" >"$OUT/hyperfine-$s-$st.log" 2>&1 || echo "vs-hyperfine: hyperfine $cell failed" >&2
  echo "$(( $(ms) - t0 ))" >"$OUT/hyperfine-$s-$st.wall-ms"
done
# cachebench again, on the same private engine hyperfine just used (`--docker-host
# --allow-prune`, the engine already running, as hyperfine's is): the like-for-like
# comparison of the per-cell bar. cachebench still starts its own registry.
for cell in $CELLS; do
  IFS=: read -r s st <<<"$cell"
  docker buildx prune -af >/dev/null 2>&1 || true
  docker image rm -f "$IMG" >/dev/null 2>&1 || true
  t0=$(ms)
  # The private engine has no egress (no NAT, by construction), where the egress
  # probe would wait ~10 s on DNS before warning: it is skipped here.
  "$BIN" run --docker-host "$DOCKER_HOST" --allow-prune --egress-probe none --context "$CTX_SRC" --source-file src/main.txt "${ARGS[@]}" \
    --strategy "$s" --state "$st" --change source --builder docker --reps "$REPS" \
    --out "$OUT/cachebench-same-engine-$s-$st" >"$OUT/cachebench-same-engine-$s-$st.log" 2>&1 ||
    echo "vs-hyperfine: cachebench on the private engine $cell exited $?" >&2
  echo "$(( $(ms) - t0 ))" >"$OUT/cachebench-same-engine-$s-$st/wall-ms"
done
own_engine_cleanup; trap - EXIT

python3 - "$OUT" "$CELLS" <<'PY' | tee "$OUT/vs-hyperfine.md"
import json, os, statistics, sys
out, cells = sys.argv[1], sys.argv[2].split()
def runs(d):
    p = os.path.join(d, "runs.jsonl")
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []
def wall(p):
    return int(open(p).read()) / 1000 if os.path.exists(p) else None
m = runs(os.path.join(out, "matrix"))
if m:
    measured = [r for r in m if r["kind"] == "measured" and r["status"] != "skipped"]
    s = sum(r["wall_ms"] for r in measured) / 1000
    w = wall(os.path.join(out, "matrix-wall-ms"))
    print(f"Matrix: {len(measured)} measured builds took {s:.1f} s; the whole run took {w:.1f} s: {w / s:.2f}x.\n")
print("| cell | hyperfine: total time | hyperfine: median | cachebench, same engine: total | cachebench, same engine: median | cachebench, own engine: total | cachebench, own engine: median | cachebench prepare (median, own) |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
for c in cells:
    s, st = c.split(":")
    hj = os.path.join(out, f"hyperfine-{s}-{st}.json")
    hm = statistics.median(json.load(open(hj))["results"][0]["times"]) if os.path.exists(hj) else None
    hw = wall(os.path.join(out, f"hyperfine-{s}-{st}.wall-ms"))
    r = [x for x in runs(os.path.join(out, f"cachebench-{s}-{st}")) if x["kind"] == "measured" and x["status"] == "ok"]
    cm = statistics.median(x["wall_ms"] for x in r) / 1000 if r else None
    cp = statistics.median(x["prepare_ms"] for x in r) / 1000 if r else None
    cw = wall(os.path.join(out, f"cachebench-{s}-{st}", "wall-ms"))
    q = [x for x in runs(os.path.join(out, f"cachebench-same-engine-{s}-{st}")) if x["kind"] == "measured" and x["status"] == "ok"]
    qm = statistics.median(x["wall_ms"] for x in q) / 1000 if q else None
    qw = wall(os.path.join(out, f"cachebench-same-engine-{s}-{st}", "wall-ms"))
    f = lambda v: f"{v:.2f} s" if v is not None else "–"
    print(f"| {s} {st}, source change | {f(hw)} | {f(hm)} | {f(qw)} | {f(qm)} | {f(cw)} | {f(cm)} | {f(cp)} |")
PY
