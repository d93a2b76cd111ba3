#!/usr/bin/env bash
# Builds the BuildKit image that docker-container builders run, offline, from Debian's
# own packages: the trixie source package `docker.io` carries BuildKit as its
# `orig-buildkit` component (v0.13.2 for docker.io 26.1.5), and trixie's golang-*-dev
# packages carry every library buildkitd and buildctl import.
#
# Why this exists: `moby/buildkit:buildx-stable-1` comes from Docker Hub, which
# machines without Docker Hub access (air-gapped CI, this project's own CI) cannot
# reach. `docker buildx create --driver docker-container` is what most cache exports
# need, so cachebench must be able to measure it anyway.
#
# How:
#   - a deb-src line for trixie (own file, same mirror as the machine's Debian source);
#   - `apt-get source --download-only docker.io/trixie` (tarballs only, nothing built);
#   - the golang-*-dev packages are fetched with `apt-get download` and unpacked with
#     `dpkg-deb -x` into a private GOPATH: NOT installed (`apt-get build-dep` would
#     upgrade a bookworm machine to trixie);
#   - GOPATH mode (GO111MODULE=off) laid out as debian/rules does, golang-1.24 from
#     trixie, CGO_ENABLED=0;
#   - an image of busybox-static, buildkitd, buildctl and Debian's runc (with its
#     shared libraries), imported with `docker import` into the engine at DOCKER_HOST.
#
# Idempotent: does nothing when the image is present. Writes only under $WORK (removed
# at the end unless KEEP_WORK=1) and the two apt files named below.
#
# Environment:
#   CACHEBENCH_BUILDKIT_IMAGE   tag to create (default cachebench/buildkit:v<version>,
#                               the version read from the source package)
#   WORK                        scratch folder (default $TMPDIR/cachebench-buildkit-build)
#   KEEP_WORK=1                 keep the scratch folder (Go build cache included)
#
# Prints the image tag on stdout as its last line; logs go to stderr.
set -euo pipefail

log() { printf 'build-buildkit-image: %s\n' "$*" >&2; }
die() { printf 'build-buildkit-image: error: %s\n' "$*" >&2; exit 2; }

WORK=${WORK:-${TMPDIR:-/tmp}/cachebench-buildkit-build}
GO=/usr/lib/go-1.24/bin/go
T0=$SECONDS

[ "$(id -u)" = 0 ] || die "run as root (apt-get, chroot smoke test)"
command -v docker >/dev/null || die "docker CLI missing: run scripts/setup.sh first"
docker info >/dev/null 2>&1 || die "no engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}: run scripts/setup.sh first"

# An image tagged by an earlier run (any version) is reused.
existing=$(docker image ls --format '{{.Repository}}:{{.Tag}}' 'cachebench/buildkit' 2>/dev/null | head -n1 || true)
if [ -n "${CACHEBENCH_BUILDKIT_IMAGE:-}" ] && docker image inspect "$CACHEBENCH_BUILDKIT_IMAGE" >/dev/null 2>&1; then
  log "$CACHEBENCH_BUILDKIT_IMAGE present"
  echo "$CACHEBENCH_BUILDKIT_IMAGE"
  exit 0
elif [ -z "${CACHEBENCH_BUILDKIT_IMAGE:-}" ] && [ -n "$existing" ]; then
  log "$existing present"
  echo "$existing"
  exit 0
fi

# The Debian archive this machine already uses: scripts/lib/apt-mirror.sh.
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-mirror.sh"

add_trixie_src() {
  . /etc/os-release
  local f=/etc/apt/sources.list.d/cachebench-trixie-src.sources
  if ! apt-cache showsrc docker.io 2>/dev/null | grep -q '^Version: 26\.'; then
    if [ ! -f "$f" ]; then
      local mirror
      mirror=$(debian_mirror) || die "no Debian archive found in /etc/apt/sources.list*; add one"
      log "adding a deb-src line for trixie ($f, $mirror)"
      cat >"$f" <<SRC
Types: deb-src
URIs: ${mirror}
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fi
    apt-get update -qq >&2
  fi
}

step() { log "[$((SECONDS - T0))s] $*"; }

step "prerequisites: golang-1.24-go from trixie, busybox-static, runc"
add_trixie_src
. /etc/os-release
if [ "${VERSION_CODENAME:-}" = bookworm ]; then golang=golang-1.24-go/trixie; else golang=golang-1.24-go; fi
[ -x "$GO" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$golang" >&2
[ -x /bin/busybox ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >&2
command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >&2
command -v dpkg-deb >/dev/null || die "dpkg-deb missing"

rm -rf "$WORK"
mkdir -p "$WORK/src"
[ "${KEEP_WORK:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

step "download the docker.io source package from trixie (tarballs only)"
cd "$WORK/src"
# The .dsc may be missing on a mirror; the tarballs are what is needed.
apt-get source --download-only -qq docker.io/trixie >&2 || true
orig=$(ls docker.io_*.orig.tar.xz 2>/dev/null | head -n1)
bk=$(ls docker.io_*.orig-buildkit.tar.xz 2>/dev/null | head -n1)
deb=$(ls docker.io_*.debian.tar.xz 2>/dev/null | head -n1)
[ -n "$orig" ] && [ -n "$bk" ] && [ -n "$deb" ] || die "docker.io source tarballs not downloaded (got: $(ls))"
debver=${deb#docker.io_}; debver=${debver%.debian.tar.xz}

step "unpack like dpkg-source, apply debian/patches, drop Files-Excluded"
mkdir -p "$WORK/tree" && cd "$WORK/tree"
tar xf "../src/$orig" --strip-components=2     # moby-…/engine -> engine/
tar xf ../src/docker.io_*.orig-cli.tar.xz
tar xf "../src/$bk"
tar xf "../src/$deb"
while read -r p; do
  case "$p" in ''|'#'*) continue ;; esac
  patch -p1 -s --no-backup-if-mismatch <"debian/patches/$p"
done <debian/patches/series
# The same removal as debian/rules' override_dh_clean (engine/vendor/…/buildkit goes).
# shellcheck disable=SC2046
rm -rf $(perl -0nE 'say grep { $_=q{ */}.$_ } split(/\s+/,$1) if m{^Files\-Excluded:\s*(.*?)(?:\n\n|^Files|^Comment:)}sm;' debian/copyright)
find ./*/vendor -mindepth 1 -type d -empty -delete
# BuildKit's own version, as its Makefile/version package do not carry it in GOPATH mode:
# the orig-buildkit component's version in debian/watch or the tarball's folder name.
version=$(perl -nE 'say $1 if m{moby/buildkit/.*?v?(\d+\.\d+\.\d+)}' debian/watch 2>/dev/null | head -n1 || true)
[ -n "$version" ] || version=$(perl -nE 'say $1 if /^Buildkit-Version:\s*v?(\S+)/i' debian/control 2>/dev/null | head -n1 || true)
[ -n "$version" ] || version=$(grep -rhoE 'github.com/moby/buildkit v[0-9]+\.[0-9]+\.[0-9]+' engine/vendor.mod 2>/dev/null | awk '{print $2}' | tr -d v | head -n1 || true)
[ -n "$version" ] || die "could not tell the BuildKit version of $bk"
IMAGE=${CACHEBENCH_BUILDKIT_IMAGE:-cachebench/buildkit:v$version}
log "BuildKit v$version from docker.io $debver -> $IMAGE"

step "GOPATH layout (as debian/rules override_dh_auto_configure)"
mkdir -p "$WORK/gopath/src/github.com/moby" "$WORK/gopath/src/github.com/docker"
mv "$WORK/tree/buildkit" "$WORK/gopath/src/github.com/moby/buildkit"
mv "$WORK/tree/engine" "$WORK/gopath/src/github.com/docker/docker"

step "fetch and unpack (not install) the golang-*-dev packages buildkitd and buildctl import"
PKGS="golang-github-agext-levenshtein-dev golang-github-appc-cni-dev golang-github-armon-circbuf-dev
golang-github-aws-aws-sdk-go-v2-dev golang-github-aws-smithy-go-dev golang-github-beorn7-perks-dev
golang-github-cenkalti-backoff-dev golang-github-cespare-xxhash-dev golang-github-containerd-console-dev
golang-github-containerd-containerd-dev golang-github-containerd-continuity-dev golang-github-containerd-errdefs-dev
golang-github-containerd-fifo-dev golang-github-containerd-go-cni-dev golang-github-containerd-go-runc-dev
golang-github-containerd-log-dev golang-github-containerd-platforms-dev golang-github-containerd-ttrpc-dev
golang-github-containerd-typeurl-dev golang-github-coreos-bbolt-dev golang-github-coreos-go-systemd-dev
golang-github-dimchansky-utfbom-dev golang-github-distribution-reference-dev golang-github-docker-docker-credential-helpers-dev
golang-github-docker-go-connections-dev golang-github-docker-go-events-dev golang-github-docker-go-metrics-dev
golang-github-docker-go-units-dev golang-github-felixge-httpsnoop-dev golang-github-go-logr-logr-dev
golang-github-go-logr-stdr-dev golang-github-gofrs-flock-dev golang-github-gogo-googleapis-dev
golang-github-gogo-protobuf-dev golang-github-golang-groupcache-dev golang-github-golang-jwt-jwt-dev
golang-github-golang-protobuf-1-5-dev golang-github-google-go-cmp-dev golang-github-google-shlex-dev
golang-github-google-uuid-dev golang-github-grpc-ecosystem-grpc-gateway-dev golang-github-hashicorp-errwrap-dev
golang-github-hashicorp-go-immutable-radix-dev golang-github-hashicorp-go-multierror-dev golang-github-hashicorp-golang-lru-dev
golang-github-in-toto-in-toto-golang-dev golang-github-klauspost-compress-dev golang-github-mitchellh-hashstructure-v2-dev
golang-github-moby-docker-image-spec-dev golang-github-moby-locker-dev golang-github-moby-patternmatcher-dev
golang-github-moby-sys-dev golang-github-morikuni-aec-dev golang-github-munnerz-goautoneg-dev
golang-github-opencontainers-go-digest-dev golang-github-opencontainers-image-spec-dev golang-github-opencontainers-selinux-dev
golang-github-opencontainers-specs-dev golang-github-pelletier-go-toml-dev golang-github-pkg-errors-dev
golang-github-prometheus-client-golang-dev golang-github-prometheus-client-model-dev golang-github-prometheus-common-dev
golang-github-prometheus-procfs-dev golang-github-secure-systems-lab-go-securesystemslib-dev golang-github-shibumi-go-pathspec-dev
golang-github-sirupsen-logrus-dev golang-github-tonistiigi-units-dev golang-github-vbatts-tar-split-dev
golang-github-vishvananda-netlink-dev golang-github-vishvananda-netns-dev golang-golang-x-crypto-dev
golang-golang-x-net-dev golang-golang-x-sync-dev golang-golang-x-sys-dev golang-golang-x-text-dev
golang-golang-x-time-dev golang-google-genproto-dev golang-google-grpc-dev golang-google-protobuf-dev
golang-opentelemetry-contrib-dev golang-opentelemetry-otel-dev golang-opentelemetry-proto-dev"
mkdir -p "$WORK/debs" "$WORK/debroot"
cd "$WORK/debs"
# shellcheck disable=SC2046
apt-get download -qq $(for p in $PKGS; do echo "$p/trixie"; done) >&2
for d in *.deb; do dpkg-deb -x "$d" "$WORK/debroot"; done

export GO111MODULE=off GOPATH="$WORK/gopath:$WORK/debroot/usr/share/gocode" GOPROXY=off GOTOOLCHAIN=local \
  GOFLAGS= CGO_ENABLED=0 GOCACHE="$WORK/gocache"
cd "$WORK/gopath/src/github.com/moby/buildkit"
missing=$($GO list -e -deps -f '{{if .Error}}{{.ImportPath}}: {{.Error}}{{end}}' ./cmd/buildkitd ./cmd/buildctl)
[ -z "$missing" ] || die "unresolved imports:
$missing"

PKG=github.com/moby/buildkit
LDF="-X $PKG/version.Version=v$version -X $PKG/version.Revision=debian-docker.io-$debver -X $PKG/version.Package=$PKG"
mkdir -p "$WORK/out"
step "go build ./cmd/buildctl"
$GO build -ldflags "$LDF" -o "$WORK/out/buildctl" ./cmd/buildctl
step "go build ./cmd/buildkitd"
$GO build -ldflags "$LDF" -tags "osusergo netgo static_build" -o "$WORK/out/buildkitd" ./cmd/buildkitd

step "root filesystem (busybox-static, buildkitd, buildctl, runc and its libraries) -> docker import $IMAGE"
ROOT="$WORK/rootfs"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc/buildkit/cdi,etc/cdi,var/run/cdi,var/lib/buildkit,tmp,root,proc,sys,dev,run,lib/x86_64-linux-gnu,lib64,etc/ssl/certs}
chmod 1777 "$ROOT/tmp"
cp /bin/busybox "$ROOT/bin/busybox"
for a in $(/bin/busybox --list-full); do [ -e "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"; done
install -m755 "$WORK/out/buildkitd" "$WORK/out/buildctl" "$ROOT/usr/bin/"
RUNC=$(command -v runc) # Debian's runc is dynamically linked (libseccomp, libc)
install -m755 "$RUNC" "$ROOT/usr/bin/runc"
for lib in $(ldd "$RUNC" | awk '/=>/ {print $3} /ld-linux/ && !/=>/ {print $1}'); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
echo 'hosts: files dns' >"$ROOT/etc/nsswitch.conf"
# Smoke test in a chroot: go-fuse's init() opens /dev/null and reads /proc.
mount -t proc proc "$ROOT/proc"
mknod -m 666 "$ROOT/dev/null" c 1 3
smoke=$(chroot "$ROOT" /usr/bin/buildkitd --version 2>&1 | grep -v 'failed to get disk size' || true)
chroot "$ROOT" /usr/bin/runc --version >/dev/null 2>&1 || { umount "$ROOT/proc"; die "runc does not start in the image"; }
umount "$ROOT/proc"
rm -f "$ROOT/dev/null"
case "$smoke" in *"v$version"*) log "smoke test: $smoke" ;; *) die "buildkitd --version said: $smoke" ;; esac
tar --numeric-owner --owner=0 --group=0 -C "$ROOT" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV BUILDKIT_SETUP_CGROUPV2_ROOT=1' \
  --change 'VOLUME /var/lib/buildkit' \
  --change "LABEL org.opencontainers.image.version=v$version org.opencontainers.image.source=debian:docker.io/$debver" \
  --change 'ENTRYPOINT ["buildkitd"]' \
  - "$IMAGE" >/dev/null
step "done: $IMAGE"
echo "$IMAGE"
