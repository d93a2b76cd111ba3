#!/usr/bin/env bash
# Optional step of the composite action (input `containerd-store: true`): switches
# the runner's own Docker engine to the containerd image store, on which the docker
# driver can export a cache (the classic store that hosted runners have refuses
# `--cache-to`). It merges `features.containerd-snapshotter: true` into
# /etc/docker/daemon.json and restarts the engine: do this only on a runner whose
# engine is the job's own (a hosted runner, an ephemeral self-hosted one).
#
# Environment: INPUT_CONTAINERD_STORE (`true`/`false`).
set -euo pipefail

log() { printf 'cachebench action: %s\n' "$*" >&2; }

[ "${INPUT_CONTAINERD_STORE:-false}" = true ] || exit 0
if docker info --format '{{json .DriverStatus}}' 2>/dev/null | grep -q 'io.containerd.snapshotter'; then
  log "the engine already uses the containerd image store"
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
conf=/etc/docker/daemon.json
current='{}'
if [ -s "$conf" ]; then current=$($sudo cat "$conf"); fi
log "switching the runner's Docker to the containerd image store ($conf) and restarting it"
printf '%s' "$current" | jq '.features["containerd-snapshotter"] = true' | $sudo tee "$conf.cachebench" >/dev/null
$sudo mv "$conf.cachebench" "$conf"
$sudo systemctl restart docker
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && break
  sleep 1
done
docker info --format 'engine {{.ServerVersion}}, storage {{.Driver}} {{json .DriverStatus}}' >&2
docker info --format '{{json .DriverStatus}}' | grep -q 'io.containerd.snapshotter' \
  || { printf '::error title=cachebench action::the engine did not come back on the containerd image store\n'; exit 3; }
