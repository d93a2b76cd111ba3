# shellcheck shell=bash
# Sourced by benchmark scripts: a private dockerd (own data-root, socket, bridge,
# containerd image store) and a private registry in a temporary folder $W, removed
# by `own_engine_cleanup`. Nothing outside $W, the bridge and the two processes is
# touched. After `own_engine_start`: DOCKER_HOST, BUILDX_CONFIG and REG are set.
W=$(mktemp -d /tmp/cb-script-XXXXXX)
OWN_BR=cbs$((RANDOM % 9000 + 1000))
OWN_DPID="" OWN_REGPID="" OWN_GEN=0
export DOCKER_HOST=unix://$W/docker.sock BUILDX_CONFIG=$W/buildx
own_engine_cleanup() {
  if [ -n "$OWN_DPID" ]; then kill "$OWN_DPID" 2>/dev/null || true; while kill -0 "$OWN_DPID" 2>/dev/null; do sleep 0.1; done; fi
  if [ -n "$OWN_REGPID" ]; then kill "$OWN_REGPID" 2>/dev/null || true; fi
  ip link del "$OWN_BR" 2>/dev/null || true
  awk -v w="$W/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$W" 2>/dev/null || true
}
own_dockerd() {
  setsid dockerd --config-file "$W/daemon.json" --data-root "$W/root-$OWN_GEN" --exec-root "$W/exec" \
    --pidfile "$W/docker.pid" -H "$DOCKER_HOST" --bridge="$OWN_BR" --iptables=false --ip6tables=false \
    >>"$W/dockerd.log" 2>&1 </dev/null &
  OWN_DPID=$!
  for _ in $(seq 1 300); do docker version >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "own-engine: dockerd did not start (log: $W/dockerd.log)" >&2; return 1
}
# Starts the registry and dockerd, and seeds the base image (and BuildKit image) from
# the host engine into both.
own_engine_start() {
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  REG=127.0.0.1:$port
  mkdir -p "$W/reg"
  printf 'version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: %s}\n' \
    "$W/reg/data" "$REG" >"$W/reg/config.yml"
  "$(command -v docker-registry || command -v registry)" serve "$W/reg/config.yml" >"$W/reg/log" 2>&1 &
  OWN_REGPID=$!
  printf '[registry."docker.io"]\n  mirrors = ["%s"]\n[registry."%s"]\n  http = true\n  insecure = true\n' "$REG" "$REG" >"$W/buildkitd.toml"
  printf '{"features":{"containerd-snapshotter":true},"log-level":"warn","registry-mirrors":["http://%s"],"insecure-registries":["%s"]}\n' \
    "$REG" "$REG" >"$W/daemon.json"
  ip link add "$OWN_BR" type bridge
  ip addr add 169.254.$((RANDOM % 100 + 100)).1/24 dev "$OWN_BR"
  own_dockerd
  local img
  for img in local/busybox:latest "$@"; do
    DOCKER_HOST=unix:///var/run/docker.sock docker save "$img" | docker load -q >/dev/null
    docker tag "$img" "$REG/$img"; docker push -q "$REG/$img" >/dev/null; docker image rm "$REG/$img" >/dev/null
  done
}
