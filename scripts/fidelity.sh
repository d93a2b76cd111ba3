#!/usr/bin/env bash
# Fidelity check: times the same docker command sequences by hand (date before and
# after, nothing else) on the same kind of engine and registry that cachebench
# uses, then runs cachebench on the same cells and compares the medians.
#
#   bash scripts/fidelity.sh [REPS]        (default 3; needs root, like cachebench)
#
# It starts its own dockerd (own data-root, bridge, containerd image store, registry
# mirror) and its own registry, exactly as documented in the README, and removes
# them at the end. Output: a table per cell of hand median, cachebench median and
# the difference, and the raw timings in $OUT (default results/fidelity-<time>).
# SKIP_HAND=1 reuses $OUT/hand.csv and only runs the cachebench side.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
OUT=${OUT:-results/fidelity-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BIN=${CACHEBENCH:-./target/release/cachebench}
[ -x "$BIN" ] || cargo build --release --locked
CTX_SRC=$PWD/dockerfiles/synthetic
ARGS=(--build-arg DEPS_MB=32 --build-arg DEPS_ROUNDS=8 --build-arg SRC_ROUNDS=8)
# Cells: every strategy cold; the remote-cache strategies warm-remote too.
CELLS=(legacy:cold buildkit:cold load-push:cold push:cold registry-cache:cold local-cache:cold
       inline-cache:cold layer-cache:cold registry-cache:warm-remote local-cache:warm-remote
       inline-cache:warm-remote)

if [ "${SKIP_HAND:-0}" != 1 ]; then
W=$(mktemp -d /tmp/fidelity-XXXXXX)
BR=cbf$((RANDOM % 9000 + 1000))
SOCK=$W/docker.sock
export DOCKER_HOST=unix://$SOCK
export BUILDX_CONFIG=$W/buildx
REGPID=""
DPID=""
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && sleep 2
  [ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null
  ip link del "$BR" 2>/dev/null || true
  rm -rf "$W" 2>/dev/null || { umount -R -l "$W" 2>/dev/null; rm -rf "$W"; } || true
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
mkdir -p "$W/reg"
cat >"$W/reg/config.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/reg/data}, delete: {enabled: true}}
http: {addr: $REG}
EOF
REGBIN=$(command -v docker-registry || command -v registry)
"$REGBIN" serve "$W/reg/config.yml" >"$W/reg/log" 2>&1 &
REGPID=$!
ip link add "$BR" type bridge
ip addr add 169.254.$((RANDOM % 100 + 100)).1/24 dev "$BR"
cat >"$W/daemon.json" <<EOF
{"features":{"containerd-snapshotter":true},"log-level":"warn",
 "registry-mirrors":["http://$REG"],"insecure-registries":["$REG"]}
EOF
GEN=0
start_engine() {
  setsid dockerd --config-file "$W/daemon.json" --data-root "$W/root-$GEN" --exec-root "$W/exec" \
    --pidfile "$W/docker.pid" -H "unix://$SOCK" --bridge="$BR" --iptables=false --ip6tables=false \
    >>"$W/dockerd.log" 2>&1 </dev/null &
  DPID=$!
  for _ in $(seq 1 300); do docker version >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "fidelity: dockerd did not start" >&2; exit 1
}
fresh_engine() {
  if [ -n "$DPID" ]; then kill "$DPID"; while kill -0 "$DPID" 2>/dev/null; do sleep 0.1; done; fi
  rm -rf "$W/root-$GEN"; GEN=$((GEN + 1)); start_engine
}
start_engine
# Seed the base image into the registry under its docker.io mirror path.
DOCKER_HOST= docker save local/busybox:latest | docker load -q >/dev/null
docker tag local/busybox:latest "$REG/local/busybox:latest"
docker push -q "$REG/local/busybox:latest" >/dev/null

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The measured commands of a strategy, as the README's strategy table gives them.
measured() { # strategy ctx tag
  local s=$1 ctx=$2 img=$REG/fidelity:$3-img cache=$REG/fidelity:$3-cache d=$W/cache/$3
  local b=(docker buildx build -f "$ctx/Dockerfile" "${ARGS[@]}" -t "$img")
  case $s in
    legacy) DOCKER_BUILDKIT=0 docker build -f "$ctx/Dockerfile" "${ARGS[@]}" -t "$img" "$ctx" ;;
    buildkit|layer-cache) "${b[@]}" --load "$ctx" ;;
    load-push) "${b[@]}" --load "$ctx" && docker push "$img" ;;
    push) "${b[@]}" --push "$ctx" ;;
    registry-cache) "${b[@]}" --cache-from "type=registry,ref=$cache" \
      --cache-to "type=registry,ref=$cache,mode=max,image-manifest=true,oci-mediatypes=true" --load "$ctx" ;;
    local-cache) "${b[@]}" --cache-from "type=local,src=$d" --cache-to "type=local,dest=$d-new,mode=max" --load "$ctx" ;;
    inline-cache) "${b[@]}" --cache-from "type=registry,ref=$img" --cache-to type=inline --push "$ctx" ;;
  esac
}
rotate() { local d=$W/cache/$1; if [ -d "$d-new" ]; then rm -rf "$d"; mv "$d-new" "$d"; fi; }

echo "strategy,state,rep,wall_ms" >"$OUT/hand.csv"
n=0
for cell in "${CELLS[@]}"; do
  s=${cell%%:*}; st=${cell##*:}
  for rep in $(seq 1 "$REPS"); do
    n=$((n + 1)); tag=$s-$st-$rep; ctx=$W/ctx-$n
    rm -rf "$ctx"; cp -r "$CTX_SRC" "$ctx"; mkdir -p "$W/cache"
    fresh_engine
    if [ "$st" = warm-remote ]; then
      measured "$s" "$ctx" "$tag" >>"$OUT/hand.log" 2>&1; rotate "$tag"
      fresh_engine
    fi
    echo "# fidelity change $n" >>"$ctx/src/main.txt"
    t0=$(ms)
    if measured "$s" "$ctx" "$tag" >>"$OUT/hand.log" 2>&1; then
      t1=$(ms); echo "$s,$st,$rep,$((t1 - t0))" >>"$OUT/hand.csv"
      echo "hand  $s $st $rep: $((t1 - t0)) ms" >&2
    else
      echo "hand  $s $st $rep: FAILED (see $OUT/hand.log)" >&2
    fi
    rotate "$tag"; rm -rf "$ctx"
  done
done
cleanup; trap - EXIT
unset DOCKER_HOST BUILDX_CONFIG
fi

# The same cells through cachebench (its own engine and registry; the host engine
# is only read, to seed the base image).
for cell in "${CELLS[@]}"; do
  s=${cell%%:*}; st=${cell##*:}
  "$BIN" run --context "$CTX_SRC" --source-file src/main.txt "${ARGS[@]}" --strategy "$s" --state "$st" \
    --change source --reps "$REPS" --out "$OUT/cachebench-$s-$st" >/dev/null 2>>"$OUT/cachebench.log" || true
done

python3 - "$OUT" <<'PY'
import csv, glob, os, statistics, sys
out = sys.argv[1]
hand = {}
for r in csv.DictReader(open(os.path.join(out, "hand.csv"))):
    hand.setdefault((r["strategy"], r["state"]), []).append(int(r["wall_ms"]))
cb = {}
for f in glob.glob(os.path.join(out, "cachebench-*", "runs.csv")):
    for r in csv.DictReader(open(f)):
        if r["status"] == "ok" and r["kind"] == "measured":
            cb.setdefault((r["strategy"], r["state"]), []).append(int(r["wall_ms"]))
rows = ["| strategy | state | hand median | cachebench median | difference |", "|---|---|--:|--:|--:|"]
worst = 0.0
for key in sorted(set(hand) | set(cb)):
    h, c = hand.get(key), cb.get(key)
    if not h or not c:
        rows.append(f"| {key[0]} | {key[1]} | {statistics.median(h) if h else '–'} | {statistics.median(c) if c else '–'} | – |")
        continue
    hm, cm = statistics.median(h), statistics.median(c)
    d = (cm - hm) / hm * 100
    worst = max(worst, abs(d))
    rows.append(f"| {key[0]} | {key[1]} | {hm/1000:.2f} s | {cm/1000:.2f} s | {d:+.1f}% |")
table = "\n".join(rows)
compared = sum(1 for k in hand if k in cb)
if compared == 0:
    print(table)
    sys.exit("fidelity: no cell has both hand and cachebench timings; see cachebench.log")
open(os.path.join(out, "fidelity.md"), "w").write(table + f"\n\nlargest difference: {worst:.1f}%\n")
print(table)
print(f"\nlargest difference: {worst:.1f}%")
PY
