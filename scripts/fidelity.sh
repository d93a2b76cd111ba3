#!/usr/bin/env bash
# Fidelity check: times the same docker command sequences by hand (date before and
# after, nothing else) on the same kind of engine and registry that cachebench
# uses, then runs cachebench on the same cells and compares the medians.
#
#   bash scripts/fidelity.sh [REPS]        (default 3; needs root, like cachebench)
#
# ENGINE=own (default): it starts its own dockerd (own data-root, bridge, containerd
# image store, registry mirror) and its own registry, exactly as documented in the
# README, and removes them at the end; cachebench runs on its own engine.
# ENGINE=host: both sides use the existing engine at /var/run/docker.sock; a fresh
# state is `docker buildx prune -af` plus removing the images this script tagged
# (cachebench gets --docker-host ... --allow-prune). Base images are kept.
#
# CELLS (space separated `strategy:state[:builder]`) overrides the default cells.
# docker-container cells need a BuildKit image (BUILDKIT_IMAGE, default the newest
# cachebench/buildkit:* that scripts/build-buildkit-image.sh makes); on a cold or
# warm-remote cell the builder is created inside the timed window, as cachebench does.
# Output: a table per cell of hand median, cachebench median and the difference, and
# the raw timings in $OUT (default results/fidelity-<time>).
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
export ENGINE=${ENGINE:-own}
case $ENGINE in own|host) ;; *) echo "fidelity: ENGINE must be own or host" >&2; exit 2 ;; esac
# Cells: every strategy cold; the remote-cache strategies warm-remote; warm-local with
# a source change; and docker-container builders in each state.
DEFAULT_CELLS="legacy:cold buildkit:cold load-push:cold push:cold registry-cache:cold local-cache:cold
  inline-cache:cold layer-cache:cold registry-cache:warm-remote local-cache:warm-remote
  inline-cache:warm-remote legacy:warm-local buildkit:warm-local registry-cache:warm-local
  buildkit:cold:docker-container registry-cache:cold:docker-container
  registry-cache:warm-local:docker-container registry-cache:warm-remote:docker-container"
# Cells separated by spaces or new lines.
read -r -d '' -a CELLS <<<"${CELLS:-$DEFAULT_CELLS}" || true
BUILDKIT_IMAGE=${BUILDKIT_IMAGE:-$(docker image ls --format '{{.Repository}}:{{.Tag}}' cachebench/buildkit | sort -V | tail -n1)}

# One rep of a cell through cachebench (ENGINE=own: its own engine and registry, the
# host engine only read to seed images; ENGINE=host: the existing engine), in
# OUT/cachebench-CELL/rep-N. The hand side's DOCKER_HOST and BUILDX_CONFIG are not
# passed on.
HOSTARGS=()
[ "$ENGINE" = host ] && HOSTARGS=(--docker-host unix:///var/run/docker.sock --allow-prune)
cachebench_rep() { # strategy state builder rep
  env -u DOCKER_HOST -u BUILDX_CONFIG "$BIN" run --context "$CTX_SRC" --source-file src/main.txt "${ARGS[@]}" \
    --strategy "$1" --state "$2" --builder "$3" ${BUILDKIT_IMAGE:+--buildkit-image "$BUILDKIT_IMAGE"} \
    "${HOSTARGS[@]}" --change source --reps 1 --out "$OUT/cachebench-$1-$2-$3/rep-$4" \
    >/dev/null 2>>"$OUT/cachebench.log" || true
  echo "cachebench $1 $2 $3 $4: done" >&2
}

if [ "${SKIP_HAND:-0}" != 1 ]; then
W=$(mktemp -d /tmp/fidelity-XXXXXX)
BR=cbf$((RANDOM % 9000 + 1000))
SOCK=$W/docker.sock
[ "$ENGINE" = own ] && export DOCKER_HOST=unix://$SOCK
export BUILDX_CONFIG=$W/buildx
REGPID=""
DPID=""
cleanup() {
  for b in $(docker buildx ls --format '{{.Name}}' 2>/dev/null | grep '^fid-' || true); do docker buildx rm -f "$b" >/dev/null 2>&1 || true; done
  if [ "$ENGINE" = host ] && type remove_own_images >/dev/null 2>&1; then remove_own_images; fi
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && sleep 2
  [ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null
  ip link del "$BR" 2>/dev/null || true
  # Mounts a stopped dockerd left inside the folder (netns) are detached first.
  awk -v w="$W/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$W" 2>/dev/null || true
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
cat >"$W/buildkitd.toml" <<TOML
[registry."docker.io"]
  mirrors = ["$REG"]
[registry."$REG"]
  http = true
  insecure = true
TOML
# Only the images this script tagged (repository $REG/fidelity) are ever removed.
remove_own_images() {
  docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$REG/fidelity:" | xargs -r docker image rm >/dev/null 2>&1 || true
}
if [ "$ENGINE" = own ]; then
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
# Seed the base image (and the BuildKit image) into the registry under their
# docker.io mirror paths, as cachebench does.
for img in local/busybox:latest ${BUILDKIT_IMAGE:+$BUILDKIT_IMAGE}; do
  DOCKER_HOST='' docker save "$img" | docker load -q >/dev/null
  docker tag "$img" "$REG/$img"
  docker push -q "$REG/$img" >/dev/null
  docker image rm "$REG/$img" >/dev/null
done
fresh_state() { fresh_engine; }
else
fresh_state() { docker buildx prune -af >/dev/null 2>&1; remove_own_images; }
# docker-container builders resolve docker.io through the script's registry (as
# cachebench's do): serve the base image there too.
docker tag local/busybox:latest "$REG/local/busybox:latest"
docker push -q "$REG/local/busybox:latest" >/dev/null
docker image rm "$REG/local/busybox:latest" >/dev/null
fi

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# The measured commands of a strategy, as the README's strategy table gives them.
measured() { # strategy ctx tag [builder]
  local s=$1 ctx=$2 img=$REG/fidelity:$3-img cache=$REG/fidelity:$3-cache d=$W/cache/$3
  local build=(docker buildx build ${4:+--builder "$4"} -f "$ctx/Dockerfile" "${ARGS[@]}" -t "$img")
  case $s in
    legacy) DOCKER_BUILDKIT=0 docker build -f "$ctx/Dockerfile" "${ARGS[@]}" -t "$img" "$ctx" ;;
    buildkit|layer-cache) "${build[@]}" --load "$ctx" ;;
    load-push) "${build[@]}" --load "$ctx" && docker push "$img" ;;
    push) "${build[@]}" --push "$ctx" ;;
    registry-cache) "${build[@]}" --cache-from "type=registry,ref=$cache" \
      --cache-to "type=registry,ref=$cache,mode=max,image-manifest=true,oci-mediatypes=true" --load "$ctx" ;;
    local-cache) "${build[@]}" --cache-from "type=local,src=$d" --cache-to "type=local,dest=$d-new,mode=max" --load "$ctx" ;;
    inline-cache) "${build[@]}" --cache-from "type=registry,ref=$img" --cache-to type=inline --push "$ctx" ;;
  esac
}
rotate() { local d=$W/cache/$1; if [ -d "$d-new" ]; then rm -rf "$d"; mv "$d-new" "$d"; fi; }
create_builder() { # name
  docker buildx create --name "$1" --driver docker-container --driver-opt network=host \
    --driver-opt "image=$BUILDKIT_IMAGE" --config "$W/buildkitd.toml" --bootstrap
}

echo "strategy,state,builder,rep,wall_ms" >"$OUT/hand.csv"
n=0
# The two sides alternate rep by rep (hand, then cachebench, for the same cell), so
# the machine's drift over the run falls on both alike instead of on one side.
for cell in "${CELLS[@]}"; do
  IFS=: read -r s st bk <<<"$cell"; bk=${bk:-docker}
  for rep in $(seq 1 "$REPS"); do
    n=$((n + 1)); tag=$s-$st-$bk-$rep; ctx=$W/ctx-$n
    rm -rf "$ctx"; cp -r "$CTX_SRC" "$ctx"; mkdir -p "$W/cache"
    b=""; [ "$bk" = docker-container ] && b=fid-$n
    # cachebench empties local state before every cell on its own engine, and before
    # cold and warm-remote cells on an existing one.
    if [ "$ENGINE" = own ] || [ "$st" != warm-local ]; then fresh_state; fi
    if [ "$st" != cold ]; then
      { [ -z "$b" ] || create_builder "$b"; } >>"$OUT/hand.log" 2>&1
      measured "$s" "$ctx" "$tag" "$b" >>"$OUT/hand.log" 2>&1; rotate "$tag"
      if [ "$st" = warm-remote ]; then
        if [ -n "$b" ]; then docker buildx rm -f "$b" >>"$OUT/hand.log" 2>&1; fi
        fresh_state
      fi
    fi
    echo "# fidelity change $n" >>"$ctx/src/main.txt"
    t0=$(ms)
    if { [ -z "$b" ] || [ "$st" = warm-local ] || create_builder "$b"; } >>"$OUT/hand.log" 2>&1 &&
       measured "$s" "$ctx" "$tag" "$b" >>"$OUT/hand.log" 2>&1; then
      t1=$(ms); echo "$s,$st,$bk,$rep,$((t1 - t0))" >>"$OUT/hand.csv"
      echo "hand  $s $st $bk $rep: $((t1 - t0)) ms" >&2
    else
      echo "hand  $s $st $bk $rep: FAILED (see $OUT/hand.log)" >&2
    fi
    if [ -n "$b" ]; then docker buildx rm -f "$b" >>"$OUT/hand.log" 2>&1; fi
    rotate "$tag"; rm -rf "$ctx"
    # On a shared engine the hand side's image would hold the layers cachebench's
    # warm-remote run must download (its state check then flags the run, rightly:
    # cachebench removes only images it made): leave nothing of ours behind.
    if [ "$ENGINE" = host ]; then remove_own_images; fi
    cachebench_rep "$s" "$st" "$bk" "$rep"
  done
done
cleanup; trap - EXIT
unset DOCKER_HOST BUILDX_CONFIG
else
for cell in "${CELLS[@]}"; do
  IFS=: read -r s st bk <<<"$cell"; bk=${bk:-docker}
  for rep in $(seq 1 "$REPS"); do cachebench_rep "$s" "$st" "$bk" "$rep"; done
done
fi

python3 - "$OUT" <<'PY'
import csv, glob, os, statistics, sys
out = sys.argv[1]
hand = {}
for r in csv.DictReader(open(os.path.join(out, "hand.csv"))):
    hand.setdefault((r["strategy"], r["state"], r.get("builder") or "docker"), []).append(int(r["wall_ms"]))
cb = {}
bad = []
for f in glob.glob(os.path.join(out, "cachebench-*", "**", "runs.csv"), recursive=True):
    for r in csv.DictReader(open(f)):
        if r["status"] == "ok" and r["kind"] == "measured":
            if r.get("state_check", "ok") not in ("", "ok"):
                bad.append(f"{r['strategy']}/{r['builder']}/{r['state']} rep {r['rep']}: {r['state_check']}")
                continue
            cb.setdefault((r["strategy"], r["state"], r["builder"]), []).append(int(r["wall_ms"]))
rows = ["| strategy | state | builder | hand median | cachebench median | difference |", "|---|---|---|--:|--:|--:|"]
worst = 0.0
for key in sorted(set(hand) | set(cb)):
    h, c = hand.get(key), cb.get(key)
    if not h or not c:
        rows.append(f"| {key[0]} | {key[1]} | {key[2]} | {statistics.median(h) if h else '–'} | {statistics.median(c) if c else '–'} | – |")
        continue
    hm, cm = statistics.median(h), statistics.median(c)
    d = (cm - hm) / hm * 100
    worst = max(worst, abs(d))
    rows.append(f"| {key[0]} | {key[1]} | {key[2]} | {hm/1000:.2f} s | {cm/1000:.2f} s | {d:+.1f}% |")
table = "\n".join(rows)
compared = sum(1 for k in hand if k in cb)
if compared == 0:
    print(table)
    sys.exit("fidelity: no cell has both hand and cachebench timings; see cachebench.log")
engine = os.environ.get("ENGINE", "own")
notes = f"\nengine: {engine}\nlargest difference: {worst:.1f}%\n"
if bad:
    notes += "runs left out (state check failed):\n" + "".join(f"- {b}\n" for b in bad)
open(os.path.join(out, "fidelity.md"), "w").write(table + "\n" + notes)
print(table)
print(notes)
PY
