#!/usr/bin/env bash
# Makes a minimal Debian base image (local/debian:<suite>, default bookworm) with
# debootstrap from the Debian archive this machine's apt already uses, for workloads
# such as dockerfiles/python-app on machines that cannot pull from Docker Hub.
# Idempotent: does nothing when the image is present. Needs root.
#   bash scripts/debian-base-image.sh [SUITE]
set -euo pipefail
cd "$(dirname "$0")/.."
SUITE=${1:-bookworm}
IMAGE=local/debian:$SUITE
log() { printf 'debian-base-image: %s\n' "$*" >&2; }
if docker image inspect "$IMAGE" >/dev/null 2>&1; then log "$IMAGE present"; echo "$IMAGE"; exit 0; fi
# shellcheck source=scripts/lib/apt-mirror.sh
. scripts/lib/apt-mirror.sh
mirror=$(debian_mirror) || { log "error: no Debian archive in /etc/apt/sources.list*"; exit 2; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
log "debootstrap --variant=minbase $SUITE from $mirror"
debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >&2
tar --numeric-owner -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$IMAGE" >/dev/null
log "done: $IMAGE"
echo "$IMAGE"
