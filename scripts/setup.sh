#!/usr/bin/env bash
# Installs and starts what cachebench needs on a Debian bookworm (or newer) machine:
# a Docker engine (docker.io), buildx, containerd, the distribution registry, and a
# busybox base image imported from Debian's busybox-static.
#
# Idempotent and safe on a machine that already has Docker:
#   - packages are installed only where the binary is missing;
#   - the containerd image store is enabled only on an engine this script installed
#     (marker: /etc/docker/.cachebench-installed) and only if daemon.json is absent;
#   - dockerd is started in the background only when no engine answers.
#
# Environment:
#   CACHEBENCH_SKIP_INSTALL=1   never run apt-get (report what is missing and fail)
#   CACHEBENCH_BASE_IMAGE       tag for the imported base image (default local/busybox:latest)
#   CACHEBENCH_SKIP_CORPUS_BASE=1  do not make local/debian:trixie (the corpus's base image,
#                               scripts/debian-base-image.sh; ~2 min the first time)
#   CACHEBENCH_SKIP_BUILDKIT=1  do not build the BuildKit images for docker-container builders
#                               (scripts/build-buildkit-image.sh; ~minutes the first time)
#   CACHEBENCH_SKIP_BUILDKIT_FORKY=1
#                               build only BuildKit v0.13.2 (trixie), not the v0.20-or-later
#                               one from Debian forky that speaks the GitHub Actions cache
#                               API v2 (~9 min the first time on 2 cores)
#   CACHEBENCH_MERMAID_CLI      where mermaid-cli 11 and 10 are installed for the render
#                               check (tests/github_render.rs) [default /opt/cachebench]
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 2; }

BASE_IMAGE=${CACHEBENCH_BASE_IMAGE:-local/busybox:latest}
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "not root and no sudo: run this script as root"
  SUDO="sudo"
fi

have() { command -v "$1" >/dev/null 2>&1; }
# debian_mirror: the Debian archive this machine's apt uses.
# shellcheck disable=SC1091 # scripts/lib/apt-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-mirror.sh"
buildx_present() { docker buildx version >/dev/null 2>&1; }
registry_present() { have docker-registry || have registry; }

apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    $SUDO apt-get update -qq >&2
    apt_updated=1
  fi
}

add_trixie_source() {
  # shellcheck source=/dev/null
  . /etc/os-release
  if [ "${VERSION_CODENAME:-}" = trixie ] || [ "${VERSION_CODENAME:-}" = forky ] || [ "${VERSION_CODENAME:-}" = sid ]; then
    return 0 # the packages are in the release itself
  fi
  if [ ! -f /etc/apt/sources.list.d/cachebench-trixie.sources ]; then
    # The same archive (mirror, proxy) as the machine's own Debian sources.
    local mirror
    mirror=$(debian_mirror) || die "no Debian archive found in /etc/apt/sources.list*; add one (a deb line or URIs: ending in /debian)"
    log "adding a Debian trixie apt source ($mirror) pinned at priority 100"
    $SUDO tee /etc/apt/sources.list.d/cachebench-trixie.sources >/dev/null <<SRC
Types: deb
URIs: ${mirror}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    $SUDO tee /etc/apt/preferences.d/cachebench-trixie >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    apt_updated=0
  fi
}

install_missing() {
  local want=()
  have dockerd || want+=(docker.io containerd)
  have docker || want+=(docker-cli)
  buildx_present || want+=(docker-buildx)
  registry_present || want+=(docker-registry)
  have tar || want+=(tar)
  have ip || want+=(iproute2)
  # Egress rules of cachebench's own engine (NAT and forwarding for its bridge).
  have iptables || want+=(iptables)
  # Charts: fonts found through fontconfig; building: fontconfig headers.
  { have fc-list && fc-list 2>/dev/null | grep -qi dejavu; } || want+=(fontconfig fonts-dejavu-core)
  { have pkg-config && pkg-config --exists fontconfig; } || want+=(pkg-config libfontconfig1-dev)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || want+=(busybox-static)
  # actions/cache's archives (local-cache on warm-remote): tar piped through zstd --long=30.
  have zstd || want+=(zstd)
  if [ ${#want[@]} = 0 ]; then
    log "docker, dockerd, buildx, registry and busybox already present"
    return 0
  fi
  [ "${CACHEBENCH_SKIP_INSTALL:-0}" = 1 ] && die "missing packages: ${want[*]} (CACHEBENCH_SKIP_INSTALL=1 forbids installing them)"
  have apt-get || die "missing: ${want[*]}, and no apt-get to install them; install a Docker engine, buildx and a registry by hand"
  local fresh_engine=0
  have dockerd || fresh_engine=1
  add_trixie_source
  apt_update
  local pkgs=()
  # shellcheck source=/dev/null
  . /etc/os-release
  for p in "${want[@]}"; do
    case "$p" in
      docker.io|docker-buildx|docker-registry|containerd|docker-cli)
        if [ "${VERSION_CODENAME:-}" = bookworm ]; then pkgs+=("$p/trixie"); else pkgs+=("$p"); fi ;;
      *) pkgs+=("$p") ;;
    esac
  done
  # docker.io from trixie needs docker-cli from trixie; keep bookworm's runc and libc.
  if printf '%s\n' "${pkgs[@]}" | grep -q '^docker.io/trixie$' && ! printf '%s\n' "${pkgs[@]}" | grep -q '^docker-cli/trixie$'; then
    pkgs+=(docker-cli/trixie)
  fi
  log "installing: ${pkgs[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${pkgs[@]}" runc iptables >&2
  if [ "$fresh_engine" = 1 ]; then
    $SUDO mkdir -p /etc/docker
    $SUDO touch /etc/docker/.cachebench-installed
  fi
}

configure_engine() {
  # Only on an engine this script installed, and only if nobody wrote daemon.json.
  if [ -f /etc/docker/.cachebench-installed ] && [ ! -s /etc/docker/daemon.json ]; then
    log "enabling the containerd image store in /etc/docker/daemon.json"
    echo '{"features":{"containerd-snapshotter":true}}' | $SUDO tee /etc/docker/daemon.json >/dev/null
  fi
}

# The host engine is only the place base images are seeded from; cachebench runs its
# benchmarks on an engine of its own (see README, Safety). It still must answer.
start_engine() {
  if docker info >/dev/null 2>&1; then
    log "docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}"
    return 0
  fi
  [ -n "${DOCKER_HOST:-}" ] && die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
  have dockerd || die "dockerd not installed"
  local logf=/var/log/cachebench-dockerd.log
  log "starting dockerd in the background (log: $logf)"
  # setsid: survive the shell that started it; no systemd on these machines.
  $SUDO setsid dockerd >"$logf" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    if docker info >/dev/null 2>&1; then log "dockerd is up"; return 0; fi
    sleep 0.5
  done
  tail -n 40 "$logf" >&2 || true
  die "dockerd did not answer within 60s; see $logf"
}

import_base_image() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE present"
    return 0
  fi
  local bb
  bb=$(command -v busybox || true)
  [ -x /bin/busybox ] && bb=/bin/busybox
  [ -n "$bb" ] || die "busybox not found; apt-get install busybox-static"
  local root
  root=$(mktemp -d)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/usr/bin" "$root/sbin" "$root/usr/sbin"
  cp "$bb" "$root/bin/busybox"
  # One link per applet so that RUN steps can use sh, dd, sha256sum, ...
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] && continue
    ln -sf /bin/busybox "$root/bin/$applet"
  done
  chmod 1777 "$root/tmp"
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  log "importing $BASE_IMAGE from $bb"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["/bin/sh"]' - "$BASE_IMAGE" >/dev/null
}

# docker-container builders run a BuildKit image. moby/buildkit comes from Docker Hub,
# which machines without its access cannot pull: build them offline from Debian's
# packages (scripts/build-buildkit-image.sh), one per suite, each only when missing:
#   trixie: BuildKit v0.13.2 (GitHub Actions cache API v1), skipped when the engine has
#           moby/buildkit:buildx-stable-1, as before;
#   forky:  BuildKit v0.20 or later (v0.25.2 today; cache API v2 too). forky is Debian
#           testing and moves: a failed build warns and setup goes on.
build_buildkit_image() {
  if [ "${CACHEBENCH_SKIP_BUILDKIT:-0}" = 1 ]; then
    log "CACHEBENCH_SKIP_BUILDKIT=1: not building the BuildKit images; docker-container cells are skipped unless one is present"
    return 0
  fi
  local script existing
  script="$(dirname "${BASH_SOURCE[0]}")/build-buildkit-image.sh"
  if docker image inspect moby/buildkit:buildx-stable-1 >/dev/null 2>&1; then
    log "BuildKit image moby/buildkit:buildx-stable-1 present"
  elif existing=$(bash "$script" --check trixie); then
    log "BuildKit image $existing present (trixie)"
  else
    log "building BuildKit v0.13 from Debian trixie with scripts/build-buildkit-image.sh (CACHEBENCH_SKIP_BUILDKIT=1 skips this)"
    bash "$script" trixie >&2 \
      || die "scripts/build-buildkit-image.sh failed (see above); rerun it, or set CACHEBENCH_SKIP_BUILDKIT=1 to skip docker-container builders"
  fi
  if [ "${CACHEBENCH_SKIP_BUILDKIT_FORKY:-0}" = 1 ]; then
    log "CACHEBENCH_SKIP_BUILDKIT_FORKY=1: not building BuildKit v0.20+ (GitHub Actions cache API v2) from Debian forky"
  elif existing=$(bash "$script" --check forky); then
    log "BuildKit image $existing present (forky; GitHub Actions cache API v2)"
  else
    log "building BuildKit v0.20+ (GitHub Actions cache API v2) from Debian forky with scripts/build-buildkit-image.sh forky (~9 min on 2 cores; CACHEBENCH_SKIP_BUILDKIT_FORKY=1 skips this)"
    bash "$script" forky >&2 \
      || log "warning: scripts/build-buildkit-image.sh forky failed (see above); BuildKit v0.20+ is missing, the rest of setup goes on (rerun it, or set CACHEBENCH_SKIP_BUILDKIT_FORKY=1)"
  fi
}

# The render check of the job-summary / PR-comment form (tests/github_render.rs):
# cmark-gfm, Chromium, and mermaid-cli 11 and 10 (GitHub has shipped both) from npm,
# driving that Chromium (puppeteer's own browser download skipped). About a minute
# on a fresh machine.
MERMAID_CLIS="mermaid-cli:11.17.0 mermaid-cli-10:10.9.1"
install_render_tools() {
  local want=()
  have cmark-gfm || want+=(cmark-gfm)
  have chromium || want+=(chromium)
  have npm || want+=(nodejs npm)
  if [ ${#want[@]} -gt 0 ]; then
    [ "${CACHEBENCH_SKIP_INSTALL:-0}" = 1 ] && die "missing packages: ${want[*]} (CACHEBENCH_SKIP_INSTALL=1 forbids installing them)"
    have apt-get || die "missing: ${want[*]}, and no apt-get to install them"
    apt_update
    log "installing the render check's tools: ${want[*]}"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
  fi
  local root=${CACHEBENCH_MERMAID_CLI:-/opt/cachebench}
  local entry name version dir
  for entry in $MERMAID_CLIS; do
    name=${entry%%:*}
    version=${entry#*:}
    dir="$root/$name"
    if [ -x "$dir/node_modules/.bin/mmdc" ]; then
      log "mermaid-cli $version present in $dir"
      continue
    fi
    [ "${CACHEBENCH_SKIP_INSTALL:-0}" = 1 ] && die "mermaid-cli missing in $dir (CACHEBENCH_SKIP_INSTALL=1 forbids installing it)"
    log "installing mermaid-cli $version into $dir (npm; Chromium from Debian)"
    $SUDO mkdir -p "$dir"
    (cd "$dir" && $SUDO env PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 \
      npm install --no-audit --no-fund --loglevel=error "@mermaid-js/mermaid-cli@$version" >&2) \
      || die "npm install of @mermaid-js/mermaid-cli@$version failed in $dir (see above)"
  done
}

# The corpus of real projects (dockerfiles/node-app, rust-app, python-app) builds on a
# Debian trixie image made with debootstrap from the machine's own apt mirror.
make_corpus_base_image() {
  if [ "${CACHEBENCH_SKIP_CORPUS_BASE:-0}" = 1 ]; then
    log "CACHEBENCH_SKIP_CORPUS_BASE=1: not making local/debian:trixie; the corpus tests need it"
    return 0
  fi
  bash "$(dirname "${BASH_SOURCE[0]}")/debian-base-image.sh" trixie >/dev/null \
    || die "scripts/debian-base-image.sh trixie failed (see above)"
}

install_missing
install_render_tools
configure_engine
start_engine
import_base_image
make_corpus_base_image
build_buildkit_image
log "ready: $(docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}' 2>/dev/null), $(docker buildx version 2>/dev/null)"
