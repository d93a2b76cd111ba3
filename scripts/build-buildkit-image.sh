#!/usr/bin/env bash
# Builds the BuildKit image that docker-container builders run, offline, from Debian's
# own packages. Two Debian suites, one image each (`cachebench/buildkit:v<version>`):
#
#   trixie (default)  BuildKit v0.13.2: the trixie source package `docker.io` (26.1.5)
#                     carries it as its `orig-buildkit` component, and trixie's
#                     golang-*-dev packages carry every library buildkitd and buildctl
#                     import. Speaks the GitHub Actions cache API v1 only.
#   forky             BuildKit v0.20 or later (v0.25.2 for docker.io 28.5.2 in forky,
#                     Debian testing): speaks the GitHub Actions cache API v2 too.
#
# Usage: build-buildkit-image.sh [trixie|forky]      (or SUITE=forky; default trixie)
#        build-buildkit-image.sh --check [trixie|forky]
#          prints the present image serving that suite and exits 0, or exits 1.
#
# Why this exists: `moby/buildkit:buildx-stable-1` comes from Docker Hub, which
# machines without Docker Hub access (air-gapped CI, this project's own CI) cannot
# reach. `docker buildx create --driver docker-container` is what most cache exports
# need, so cachebench must be able to measure it anyway.
#
# How (both suites):
#   - deb-src (and for forky also deb) lines in files of their own, on the same mirror
#     as the machine's Debian sources (scripts/lib/apt-mirror.sh); forky's is pinned at
#     -1 so that apt never installs from it (only `apt-get download`/`source` use it);
#   - `apt-get source --download-only docker.io/<suite>` (tarballs only, nothing built);
#   - the golang-*-dev packages are fetched with `apt-get download` and unpacked with
#     `dpkg-deb -x` into a private GOPATH: NOT installed (`apt-get build-dep` would
#     upgrade a bookworm machine);
#   - GOPATH mode (GO111MODULE=off) as debian/rules does, CGO_ENABLED=0;
#   - an image of busybox-static, buildkitd, buildctl and Debian's runc (with its
#     shared libraries), imported with `docker import` into the engine at DOCKER_HOST.
# trixie: golang-1.24 from trixie (installed: it runs on bookworm's libc); BuildKit's
#   tree from the orig-buildkit tarball with debian/patches applied.
# forky: forky's default Go (golang-go/forky's golang-1.X-go and -src, Debian's own
#   choice for docker.io; statically linked) unpacked into $WORK, not installed.
#   BuildKit's tree from forky's golang-github-docker-docker-dev, which ships it as
#   Debian built it (debian/patches applied): the orig-buildkit tarball is not on every
#   mirror, a binary package is. What Debian does not package (go-actions-cache,
#   moby/profiles, a newer fsutil) comes from docker.io's own engine/vendor, as the
#   last GOPATH entry; forky's packages dropped the /vN major-version folders GOPATH
#   mode needs (github.com/coreos/go-systemd/v22, …), which are linked from their
#   go.mod; two optional snapshotters Debian cannot satisfy (fuse-overlayfs, not
#   packaged; stargz, built for containerd 1.7) are stand-ins that report themselves
#   unavailable: scripts/buildkit-stubs/README.md.
#
# Idempotent: does nothing when an image serving the suite is present: for trixie a
# cachebench/buildkit:v0.x tag before v0.20, for forky one at v0.20 or later (so
# either image never stands in for the other). Writes only under $WORK (removed at
# the end unless KEEP_WORK=1) and the apt files named below.
#
# Environment:
#   SUITE                       trixie (default) or forky; the first argument wins
#   CACHEBENCH_BUILDKIT_IMAGE   tag to create (default cachebench/buildkit:v<version>,
#                               the version read from the source package); reused
#                               when present
#   CACHEBENCH_BUILDKIT_GO      forky only: Go minor version to use, e.g. 1.26
#                               (default: the one golang-go/forky depends on)
#   WORK                        scratch folder (default $TMPDIR/cachebench-buildkit-build-<suite>)
#   KEEP_WORK=1                 keep the scratch folder, and the Go build cache in it
#                               across runs
#
# Prints the image tag on stdout as its last line; logs go to stderr.
set -euo pipefail

log() { printf 'build-buildkit-image: %s\n' "$*" >&2; }
die() { printf 'build-buildkit-image: error: %s\n' "$*" >&2; exit 2; }

CHECK=0
if [ "${1:-}" = --check ]; then CHECK=1; shift; fi
SUITE=${1:-${SUITE:-trixie}}
case "$SUITE" in
  trixie|forky) ;;
  *) die "unknown suite '$SUITE' (trixie: BuildKit v0.13; forky: v0.20 or later)" ;;
esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${WORK:-${TMPDIR:-/tmp}/cachebench-buildkit-build-$SUITE}
T0=$SECONDS

command -v docker >/dev/null || die "docker CLI missing: run scripts/setup.sh first"
docker info >/dev/null 2>&1 || die "no engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}: run scripts/setup.sh first"

# serves_suite VERSION: whether a cachebench/buildkit:vVERSION image is this suite's.
# The line is v0.20, the first BuildKit that speaks the GitHub Actions cache API v2.
serves_suite() {
  local major minor rest
  major=${1%%.*}; rest=${1#*.}; minor=${rest%%.*}
  case "$major$minor" in *[!0-9]*|'') return 1 ;; esac
  if [ "$SUITE" = forky ]; then
    [ "$major" -gt 0 ] || [ "$minor" -ge 20 ]
  else
    [ "$major" = 0 ] && [ "$minor" -lt 20 ]
  fi
}
# present_image: the highest cachebench/buildkit:v* tag serving this suite, or the
# explicit CACHEBENCH_BUILDKIT_IMAGE when it is present.
present_image() {
  if [ -n "${CACHEBENCH_BUILDKIT_IMAGE:-}" ]; then
    docker image inspect "$CACHEBENCH_BUILDKIT_IMAGE" >/dev/null 2>&1 && echo "$CACHEBENCH_BUILDKIT_IMAGE"
    return 0
  fi
  local tag best=""
  for tag in $(docker image ls --format '{{.Tag}}' cachebench/buildkit 2>/dev/null | grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -V); do
    serves_suite "${tag#v}" && best=cachebench/buildkit:$tag
  done
  [ -z "$best" ] || echo "$best"
}
existing=$(present_image)
if [ "$CHECK" = 1 ]; then
  [ -n "$existing" ] || exit 1
  echo "$existing"
  exit 0
fi
if [ -n "$existing" ]; then
  log "$existing present (serves $SUITE)"
  echo "$existing"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root (apt-get, chroot smoke test)"

# The Debian archive this machine already uses: scripts/lib/apt-mirror.sh.
# shellcheck disable=SC1091 # scripts/lib/apt-mirror.sh
. "$HERE/lib/apt-mirror.sh"
# shellcheck source=/dev/null
. /etc/os-release
HOST_SUITE=${VERSION_CODENAME:-}

step() { log "[$((SECONDS - T0))s] $*"; }
# first GLOB...: the first file a glob matched, or nothing.
first() { if [ -e "$1" ]; then echo "$1"; fi; }

# trixie: a deb-src line (the deb line is setup.sh's, pinned at 100).
add_trixie_src() {
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

# forky: deb and deb-src lines, the deb line pinned at -1 (never installed from, only
# downloaded: `apt-get download pkg/forky` ignores pins). On a forky host itself only
# the deb-src line, unpinned. The lists are refreshed when a day old: testing moves,
# and the mirror drops superseded files.
add_forky_src() {
  local f=/etc/apt/sources.list.d/cachebench-forky.sources
  local pin=/etc/apt/preferences.d/cachebench-forky
  local types="deb deb-src" fresh=0
  [ "$HOST_SUITE" = forky ] && types="deb-src"
  if [ ! -f "$f" ]; then
    local mirror
    mirror=$(debian_mirror) || die "no Debian archive found in /etc/apt/sources.list*; add one"
    log "adding $types lines for forky ($f, $mirror), pinned at -1 ($pin): never installed from"
    if [ "$HOST_SUITE" != forky ]; then
      cat >"$pin" <<'PIN'
Package: *
Pin: release n=forky
Pin-Priority: -1
PIN
    fi
    cat >"$f" <<SRC
Types: ${types}
URIs: ${mirror}
Suites: forky
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    fresh=1
  fi
  if [ "$fresh" = 1 ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_dists_forky_InRelease' -mtime -1 2>/dev/null)" ]; then
    log "apt-get update (forky lists missing or older than a day)"
    apt-get update -qq >&2
  fi
}

# The golang-*-dev packages buildkitd and buildctl import, per suite.
PKGS_TRIXIE="golang-github-agext-levenshtein-dev golang-github-appc-cni-dev golang-github-armon-circbuf-dev
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
# forky: golang-github-docker-docker-dev carries BuildKit's own tree.
PKGS_FORKY="golang-github-docker-docker-dev
golang-github-agext-levenshtein-dev golang-github-anchore-go-struct-converter-dev golang-github-appc-cni-dev
golang-github-armon-circbuf-dev golang-github-aws-aws-sdk-go-v2-dev golang-github-aws-smithy-go-dev
golang-github-azure-azure-sdk-for-go-dev golang-github-azuread-microsoft-authentication-library-for-go-dev golang-github-beorn7-perks-dev
golang-github-cenkalti-backoff-v5-dev golang-github-cespare-xxhash-v2-dev golang-github-cli-browser-dev
golang-github-containerd-accelerated-container-image-dev golang-github-containerd-console-dev golang-github-containerd-containerd-api-dev
golang-github-containerd-containerd-dev golang-github-containerd-continuity-dev golang-github-containerd-errdefs-dev
golang-github-containerd-fifo-dev golang-github-containerd-go-cni-dev golang-github-containerd-go-runc-dev
golang-github-containerd-log-dev golang-github-containerd-platforms-dev golang-github-containerd-stargz-snapshotter-dev
golang-github-containerd-ttrpc-dev golang-github-containerd-typeurl-dev golang-github-coreos-bbolt-dev
golang-github-coreos-go-systemd-dev golang-github-cpuguy83-go-md2man-v2-dev golang-github-cyphar-filepath-securejoin-dev
golang-github-dimchansky-utfbom-dev golang-github-distribution-reference-dev golang-github-docker-docker-credential-helpers-dev
golang-github-docker-go-units-dev golang-github-felixge-fgprof-dev golang-github-felixge-httpsnoop-dev
golang-github-fsnotify-fsnotify-dev golang-github-go-logr-logr-dev golang-github-go-logr-stdr-dev
golang-github-gofrs-flock-dev golang-github-gogo-protobuf-dev golang-github-golang-jwt-jwt-dev
golang-github-golang-jwt-jwt-v5-dev golang-github-golang-protobuf-1-5-dev golang-github-google-go-cmp-dev
golang-github-google-pprof-dev golang-github-google-shlex-dev golang-github-google-uuid-dev
golang-github-grpc-ecosystem-grpc-gateway-dev golang-github-hashicorp-go-cleanhttp-dev golang-github-hashicorp-go-immutable-radix-v2-dev
golang-github-hashicorp-golang-lru-v2-dev golang-github-in-toto-attestation-dev golang-github-in-toto-in-toto-golang-dev
golang-github-klauspost-compress-dev golang-github-kylelemons-godebug-dev golang-github-mitchellh-hashstructure-dev
golang-github-moby-docker-image-spec-dev golang-github-moby-go-archive-dev golang-github-moby-locker-dev
golang-github-moby-patternmatcher-dev golang-github-moby-sys-dev golang-github-morikuni-aec-dev
golang-github-munnerz-goautoneg-dev golang-github-opencontainers-go-digest-dev golang-github-opencontainers-image-spec-dev
golang-github-opencontainers-selinux-dev golang-github-opencontainers-specs-dev golang-github-package-url-packageurl-go-dev
golang-github-pelletier-go-toml-dev golang-github-pkg-errors-dev golang-github-pkg-profile-dev
golang-github-planetscale-vtprotobuf-dev golang-github-prometheus-client-golang-dev golang-github-prometheus-client-model-dev
golang-github-prometheus-common-dev golang-github-prometheus-otlptranslator-dev golang-github-prometheus-procfs-dev
golang-github-russross-blackfriday-v2-dev golang-github-secure-systems-lab-go-securesystemslib-dev golang-github-shibumi-go-pathspec-dev
golang-github-sirupsen-logrus-dev golang-github-spdx-tools-golang-dev golang-github-tonistiigi-dchapes-mode-dev
golang-github-tonistiigi-units-dev golang-github-tonistiigi-vt100-dev golang-github-urfave-cli-dev
golang-github-vbatts-tar-split-dev golang-github-vishvananda-netlink-dev golang-github-vishvananda-netns-dev
golang-golang-x-crypto-dev golang-golang-x-exp-dev golang-golang-x-mod-dev
golang-golang-x-net-dev golang-golang-x-sync-dev golang-golang-x-sys-dev
golang-golang-x-text-dev golang-golang-x-time-dev golang-google-genproto-dev
golang-google-grpc-dev golang-google-protobuf-dev golang-gopkg-yaml.v2-dev
golang-gopkg-yaml.v3-dev golang-k8s-sigs-yaml-dev golang-opentelemetry-contrib-dev
golang-opentelemetry-otel-dev golang-opentelemetry-proto-dev golang-tags.cncf-container-device-interface-dev"

# Scratch folder: emptied, except the Go build cache when KEEP_WORK=1.
mkdir -p "$WORK"
if [ "${KEEP_WORK:-0}" = 1 ]; then
  find "$WORK" -mindepth 1 -maxdepth 1 ! -name gocache -exec rm -rf {} +
else
  rm -rf "$WORK" && mkdir -p "$WORK"
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/src" "$WORK/debs" "$WORK/debroot" "$WORK/gopath/src/github.com/moby"

if [ "$SUITE" = trixie ]; then
  step "prerequisites: golang-1.24-go from trixie, busybox-static, runc"
  add_trixie_src
  GO=/usr/lib/go-1.24/bin/go
  if [ "$HOST_SUITE" = bookworm ]; then golang="golang-1.24-go/trixie"; else golang="golang-1.24-go"; fi
  [ -x "$GO" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$golang" >&2
else
  step "prerequisites: forky apt lists, busybox-static, runc"
  add_forky_src
fi
[ -x /bin/busybox ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >&2
command -v runc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq runc >&2
command -v dpkg-deb >/dev/null || die "dpkg-deb missing"

step "download the docker.io source package from $SUITE (tarballs only)"
cd "$WORK/src"
# The .dsc (and, for forky, the orig-buildkit tarball) may be missing on a mirror; the
# tarballs used below are checked for.
[ "$SUITE" = trixie ] || log "(a 404 for the .dsc or the orig-buildkit tarball is expected on some mirrors: forky needs only the orig tarball)"
apt-get source --download-only -qq "docker.io/$SUITE" >&2 || true

if [ "$SUITE" = trixie ]; then
  orig=$(first docker.io_*.orig.tar.xz)
  bk=$(first docker.io_*.orig-buildkit.tar.xz)
  deb=$(first docker.io_*.debian.tar.xz)
  if [ -z "$orig" ] || [ -z "$bk" ] || [ -z "$deb" ]; then
    die "docker.io source tarballs not downloaded (got: $(echo *))"
  fi
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

  step "GOPATH layout (as debian/rules override_dh_auto_configure)"
  mkdir -p "$WORK/gopath/src/github.com/docker"
  mv "$WORK/tree/buildkit" "$WORK/gopath/src/github.com/moby/buildkit"
  mv "$WORK/tree/engine" "$WORK/gopath/src/github.com/docker/docker"
  PKGS=$PKGS_TRIXIE
else
  orig=$(first docker.io_*.orig.tar.xz)
  [ -n "$orig" ] || die "docker.io's orig tarball not downloaded from forky (got: $(echo *)); is the forky list current (apt-get update)?"
  upstream=${orig#docker.io_}; upstream=${upstream%.orig.tar.xz}
  step "engine/vendor and vendor.mod from $orig (what Debian does not package)"
  mkdir -p "$WORK/tree" && cd "$WORK/tree"
  tar xf "../src/$orig" --strip-components=2 --wildcards '*/engine/vendor/*' '*/engine/vendor.mod'
  # The orig-buildkit component is cut at the revision moby's vendor.mod names
  # (debian/get-orig-source.sh), so this is the BuildKit version.
  version=$(grep -hoE 'github.com/moby/buildkit v[0-9]+\.[0-9]+\.[0-9]+' engine/vendor.mod | awk '{print $2}' | tr -d v | head -n1 || true)
  [ -n "$version" ] || die "could not tell the BuildKit version from engine/vendor.mod of $orig"
  serves_suite "$version" || die "forky's docker.io $upstream carries BuildKit v$version, before v0.20 (no GitHub Actions cache v2)"
  mkdir -p "$WORK/enginevendor"
  mv engine/vendor "$WORK/enginevendor/src"

  gov=${CACHEBENCH_BUILDKIT_GO:-$(apt-cache show golang-go/forky 2>/dev/null | sed -nE 's/^Depends:.*golang-(1\.[0-9]+)-go.*/\1/p' | head -n1)}
  [ -n "$gov" ] || die "no golang-go in forky's lists; set CACHEBENCH_BUILDKIT_GO=1.X"
  step "Go $gov from forky: golang-$gov-go and golang-$gov-src unpacked (not installed)"
  mkdir -p "$WORK/go-debs" "$WORK/go"
  (cd "$WORK/go-debs" && apt-get download -qq "golang-$gov-go/forky" "golang-$gov-src/forky" >&2) \
    || die "golang-$gov-go/forky not downloadable; set CACHEBENCH_BUILDKIT_GO to a Go forky carries"
  for d in "$WORK"/go-debs/*.deb; do dpkg-deb -x "$d" "$WORK/go"; done
  export GOROOT="$WORK/go/usr/lib/go-$gov"
  GO=$GOROOT/bin/go
  "$GO" version >/dev/null || die "$GO does not run on this host"
  PKGS=$PKGS_FORKY
fi
IMAGE=${CACHEBENCH_BUILDKIT_IMAGE:-cachebench/buildkit:v$version}

step "fetch and unpack (not install) the golang-*-dev packages buildkitd and buildctl import"
cd "$WORK/debs"
# shellcheck disable=SC2046
apt-get download -qq $(for p in $PKGS; do echo "$p/$SUITE"; done) >&2
for d in *.deb; do dpkg-deb -x "$d" "$WORK/debroot"; done
GOCODE="$WORK/debroot/usr/share/gocode"

if [ "$SUITE" = forky ]; then
  devdeb=$(first golang-github-docker-docker-dev_*.deb)
  debver=$(dpkg-deb -f "$devdeb" Version)
  case "$debver" in "$upstream"-*) ;; *) die "golang-github-docker-docker-dev $debver is not docker.io $upstream (mirror mid-sync? rerun later)" ;; esac
  step "GOPATH layout: BuildKit from golang-github-docker-docker-dev $debver; stand-ins; /vN links"
  mv "$GOCODE/src/github.com/moby/buildkit" "$WORK/gopath/src/github.com/moby/buildkit"
  # GOPATH mode finds github.com/x/y/v2 only in a folder of that name: link each
  # package whose go.mod names a /vN module path from that path.
  mkdir -p "$WORK/modalias/src"
  find "$GOCODE/src" -name go.mod -not -path '*/vendor/*' -not -path '*/testdata/*' | while read -r gm; do
    dir=${gm%/go.mod}; ip=${dir#"$GOCODE/src/"}
    mod=$(awk '$1 == "module" { gsub(/"/, "", $2); print $2; exit }' "$gm")
    case "$mod" in "$ip"/v[0-9]|"$ip"/v[0-9][0-9]) ;; *) continue ;; esac
    if [ -e "$GOCODE/src/$mod" ] || [ -e "$WORK/modalias/src/$mod" ]; then continue; fi
    mkdir -p "$(dirname "$WORK/modalias/src/$mod")"
    ln -s "$dir" "$WORK/modalias/src/$mod"
    log "  $mod -> $ip"
  done
  GOPATH="$WORK/gopath:$HERE/buildkit-stubs:$GOCODE:$WORK/modalias:$WORK/enginevendor"
else
  GOPATH="$WORK/gopath:$GOCODE"
fi
log "BuildKit v$version from docker.io $debver ($SUITE) -> $IMAGE"

export GO111MODULE=off GOPATH GOPROXY=off GOTOOLCHAIN=local GOFLAGS='' CGO_ENABLED=0 GOCACHE="$WORK/gocache"
cd "$WORK/gopath/src/github.com/moby/buildkit"
missing=$("$GO" list -e -deps -f '{{if .Error}}{{.ImportPath}}: {{.Error}}{{end}}' ./cmd/buildkitd ./cmd/buildctl)
[ -z "$missing" ] || die "unresolved imports:
$missing"

PKG=github.com/moby/buildkit
LDF="-X $PKG/version.Version=v$version -X $PKG/version.Revision=debian-docker.io-$debver -X $PKG/version.Package=$PKG"
mkdir -p "$WORK/out"
step "go build ./cmd/buildctl ($("$GO" env GOVERSION))"
"$GO" build -ldflags "$LDF" -o "$WORK/out/buildctl" ./cmd/buildctl
step "go build ./cmd/buildkitd"
"$GO" build -ldflags "$LDF" -tags "osusergo netgo static_build" -o "$WORK/out/buildkitd" ./cmd/buildkitd

step "root filesystem (busybox-static, buildkitd, buildctl, runc and its libraries) -> docker import $IMAGE"
ROOT="$WORK/rootfs"
rm -rf "$ROOT"
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
  --change "LABEL org.opencontainers.image.version=v$version org.opencontainers.image.source=debian:docker.io/$debver io.cachebench.debian-suite=$SUITE" \
  --change 'ENTRYPOINT ["buildkitd"]' \
  - "$IMAGE" >/dev/null
step "done: $IMAGE"
echo "$IMAGE"
