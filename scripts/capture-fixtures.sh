#!/usr/bin/env bash
# Re-captures the phase-parser fixtures from the local Docker engine:
#   tests/fixtures/rawjson/*.txt  raw stderr of `docker buildx build --progress=rawjson`
#   tests/fixtures/legacy/*.jsonl one {"t_ms": ms since start, "line": "..."} per
#                                 output line of `DOCKER_BUILDKIT=0 docker build`,
#                                 timestamped as it arrived.
#
# It only touches what it creates: images tagged `cachebench-phases-fixture:*`, the
# repositories `127.0.0.1:$PORT/cachebench-phases/*` of a registry it starts itself
# (data under $WORK/reg), and the folder $WORK. It does run `docker buildx prune -f`
# on the default builder to get cold builds: only do that on a dev engine you own.
#
# Legacy builds use --force-rm so a failing RUN leaves no container behind.
# Builds use `--network=host` because this engine has no docker0 bridge
# (RUN fails with "network bridge not found" otherwise).
#
# Usage: scripts/capture-fixtures.sh   (from the repository root)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT_RAW="$ROOT/tests/fixtures/rawjson"
OUT_LEG="$ROOT/tests/fixtures/legacy"
PORT=${PHASES_REG_PORT:-5077}
REG="127.0.0.1:$PORT"
WORK=${PHASES_WORK:-/tmp/phases-capture}
BASE=${PHASES_BASE:-local/busybox:latest}
TAG=cachebench-phases-fixture
mkdir -p "$OUT_RAW" "$OUT_LEG"
rm -rf "$WORK"
mkdir -p "$WORK/reg/data" "$WORK/ctx" "$WORK/ctx2" "$WORK/ctxfail"

# --- our own registry, loopback only ------------------------------------------
cat > "$WORK/reg/config.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/reg/data}, delete: {enabled: true}}
http: {addr: $REG}
YML
docker-registry serve "$WORK/reg/config.yml" >"$WORK/reg/log" 2>&1 &
REG_PID=$!
# The legacy builder leaves untagged intermediate images (" ---> <id>" lines of our
# own legacy fixtures). Remove those that are untagged and not the base image.
rm_legacy_intermediates() {
  local base_id id
  base_id=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null || true)
  cat "$OUT_LEG"/*.jsonl 2>/dev/null | grep -oE '" ---> [0-9a-f]{12}"' | grep -oE '[0-9a-f]{12}' |
    sort -u | while read -r id; do
      [[ "$base_id" == "sha256:$id"* ]] && continue
      [[ "$(docker image inspect -f '{{len .RepoTags}}' "$id" 2>/dev/null)" == 0 ]] || continue
      docker rmi "$id" >/dev/null 2>&1 || true
    done
}
cleanup() {
  kill "$REG_PID" 2>/dev/null || true
  docker image ls --format '{{.Repository}}:{{.Tag}}' |
    grep -E "^($TAG|$REG/cachebench-phases/)" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  rm_legacy_intermediates
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fsS "http://$REG/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

# --- workloads ------------------------------------------------------------------
cat > "$WORK/ctx/Dockerfile" <<DF
FROM $BASE
RUN dd if=/dev/urandom of=/dep.bin bs=1M count=4 2>/dev/null && sha256sum /dep.bin > /dep.sha
COPY src.txt /app/src.txt
RUN sha256sum /app/src.txt /dep.bin > /app/out.sha && cat /app/out.sha
DF
echo "version 1" > "$WORK/ctx/src.txt"

cat > "$WORK/ctx2/Dockerfile" <<DF
FROM $BASE AS deps
RUN dd if=/dev/urandom of=/dep.bin bs=1M count=4 2>/dev/null && sha256sum /dep.bin > /dep.sha
FROM $BASE
COPY --from=deps /dep.bin /dep.sha /deps/
COPY src.txt /app/src.txt
RUN sha256sum /app/src.txt /deps/dep.bin > /app/out.sha
DF
echo "version 1" > "$WORK/ctx2/src.txt"

cat > "$WORK/ctxfail/Dockerfile" <<DF
FROM $BASE
COPY src.txt /app/src.txt
RUN echo "about to fail" && exit 3
DF
echo "fail" > "$WORK/ctxfail/src.txt"

cold() { # forget every cached result of the default builder and our images
  docker image ls --format '{{.Repository}}:{{.Tag}}' |
    grep -E "^($TAG|$REG/cachebench-phases/)" | xargs -r docker rmi -f >/dev/null 2>&1 || true
  rm_legacy_intermediates
  docker buildx prune -f >/dev/null
}
raw() { # raw NAME CTX ARGS...   -> tests/fixtures/rawjson/NAME.txt
  local name=$1 ctx=$2; shift 2
  echo "capture rawjson/$name" >&2
  docker buildx build --progress=rawjson --network=host "$@" "$ctx" \
    >"$WORK/$name.stdout" 2>"$OUT_RAW/$name.txt" || echo "  (build exited $?)" >&2
}
legacy() { # legacy NAME CTX ARGS...   -> tests/fixtures/legacy/NAME.jsonl
  local name=$1 ctx=$2; shift 2
  echo "capture legacy/$name" >&2
  DOCKER_BUILDKIT=0 perl -MTime::HiRes=time -MJSON::PP -e '
    my $t0 = time; $| = 1;
    my $json = JSON::PP->new->canonical;
    open(my $fh, "-|", "bash", "-c", q{"$@" 2>&1}, "--", @ARGV) or die "spawn: $!";
    while (my $l = <$fh>) {
      chomp $l;
      print $json->encode({t_ms => int((time - $t0) * 1000 + 0.5), line => $l}), "\n";
    }
    close $fh;
  ' docker build --network=host --force-rm "$@" "$ctx" >"$OUT_LEG/$name.jsonl" || true
}

# --- BuildKit (docker driver, default builder) -----------------------------------
cold
raw cold-load "$WORK/ctx" -t $TAG:app --load
raw warm-load "$WORK/ctx" -t $TAG:app --load
echo "version 2" > "$WORK/ctx/src.txt"
raw warm-src-change-load "$WORK/ctx" -t $TAG:app --load
echo "version 1" > "$WORK/ctx/src.txt"

cold
raw twostage-cold-load "$WORK/ctx2" -t $TAG:two --load

cold
raw cold-push "$WORK/ctx" -t "$REG/cachebench-phases/app:push" --push

cold
raw registry-cache-cold-load "$WORK/ctx" -t $TAG:app --load \
  --cache-to "type=registry,ref=$REG/cachebench-phases/cache:reg,mode=max,image-manifest=true,oci-mediatypes=true"
cold
raw registry-cache-warm-import-load "$WORK/ctx" -t $TAG:app --load \
  --cache-from "type=registry,ref=$REG/cachebench-phases/cache:reg" \
  --cache-to "type=registry,ref=$REG/cachebench-phases/cache:reg,mode=max,image-manifest=true,oci-mediatypes=true"

cold
raw local-cache-cold-load "$WORK/ctx" -t $TAG:app --load \
  --cache-to "type=local,dest=$WORK/localcache,mode=max"
cold
raw local-cache-warm-import-load "$WORK/ctx" -t $TAG:app --load \
  --cache-from "type=local,src=$WORK/localcache"

cold
raw inline-cache-cold-push "$WORK/ctx" -t "$REG/cachebench-phases/app:inline" --push \
  --cache-to type=inline
cold
raw inline-cache-warm-import-load "$WORK/ctx" -t $TAG:app --load \
  --cache-from "$REG/cachebench-phases/app:inline"

raw failing-run "$WORK/ctxfail" -t $TAG:fail --load

# --- legacy builder ----------------------------------------------------------------
cold
legacy cold "$WORK/ctx" -t $TAG:legacy
legacy warm "$WORK/ctx" -t $TAG:legacy
echo "version 2" > "$WORK/ctx/src.txt"
legacy warm-src-change "$WORK/ctx" -t $TAG:legacy
echo "version 1" > "$WORK/ctx/src.txt"
legacy failing-run "$WORK/ctxfail" -t $TAG:legacyfail

echo "done: $(find "$OUT_RAW" -mindepth 1 -maxdepth 1 | wc -l) rawjson, $(find "$OUT_LEG" -mindepth 1 -maxdepth 1 | wc -l) legacy fixtures" >&2
