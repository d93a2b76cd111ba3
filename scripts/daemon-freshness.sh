#!/usr/bin/env bash
# Why is a warm-local build slower on a freshly started dockerd than on one that
# has been running? Times the same warm-local build (source change, BuildKit, docker
# driver, containerd store, dockerfiles/synthetic) on one own
# dockerd in four situations, interleaved rep by rep so drift falls on all alike:
#   fresh      new data-root, daemon just started, one warming build, then measured
#   chained    the next measured build on the same running daemon
#   restarted  daemon restarted on the same data-root (layer store kept), then measured
#   chained2   the next measured build after that
#
#   bash scripts/daemon-freshness.sh [REPS]      (default 5; root; writes $OUT)
#
# OUT gets the timings (times.csv) and the table (freshness.md); each build's raw
# --progress=rawjson stream goes to RAW (default a folder under $TMPDIR, outside
# results/: bulk no document cites), kept after the run for a look at a slow build.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
OUT=${OUT:-results/daemon-freshness-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
RAW=${RAW:-$(mktemp -d "${TMPDIR:-/tmp}/daemon-freshness-raw-XXXXXX")}
mkdir -p "$RAW"
# BUILD_ARGS overrides the workload (default: the synthetic Dockerfile's own defaults).
read -r -a ARGS <<<"${BUILD_ARGS:---build-arg DEPS_MB=32}"
# shellcheck source=scripts/lib/own-engine.sh
. scripts/lib/own-engine.sh
trap own_engine_cleanup EXIT
# shellcheck disable=SC2119 # no image to seed beyond the base image
own_engine_start
stop_engine() { kill "$OWN_DPID"; while kill -0 "$OWN_DPID" 2>/dev/null; do sleep 0.1; done; }
start_engine() { own_dockerd; }
fresh_engine() {
  stop_engine
  rm -rf "$W/root-$OWN_GEN"; OWN_GEN=$((OWN_GEN + 1)); start_engine
  DOCKER_HOST=unix:///var/run/docker.sock docker save local/busybox:latest | docker load -q >/dev/null
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
CTX=$W/ctx; cp -r dockerfiles/synthetic "$CTX"
n=0
build() { docker buildx build --progress=rawjson -f "$CTX/Dockerfile" "${ARGS[@]}" -t fresh:img --load "$CTX"; }
measure() { # label rep
  n=$((n + 1)); echo "# change $n" >>"$CTX/src/main.txt"
  local t0 t1; t0=$(ms); build 2>"$RAW/$1-$2.rawjson" >/dev/null; t1=$(ms)
  echo "$1,$2,$((t1 - t0))" >>"$OUT/times.csv"; echo "$1 $2: $((t1 - t0)) ms" >&2
}
echo "situation,rep,wall_ms" >"$OUT/times.csv"
for rep in $(seq 1 "$REPS"); do
  fresh_engine
  build >/dev/null 2>&1
  measure fresh "$rep"
  measure chained "$rep"
  stop_engine; start_engine
  measure restarted "$rep"
  measure chained2 "$rep"
done
python3 - "$OUT/times.csv" <<'PY' | tee "$OUT/freshness.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("| situation | runs | median | min | max |\n|---|--:|--:|--:|--:|")
for s in ["fresh", "chained", "restarted", "chained2"]:
    v = [int(r["wall_ms"]) / 1000 for r in rows if r["situation"] == s]
    if v:
        print(f"| {s} | {len(v)} | {statistics.median(v):.2f} s | {min(v):.2f} s | {max(v):.2f} s |")
PY
echo "daemon-freshness: raw build streams in $RAW" >&2
