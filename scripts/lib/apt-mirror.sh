# shellcheck shell=bash
# Sourced by scripts/setup.sh and scripts/build-buildkit-image.sh.
#
# debian_mirror: prints the Debian archive this machine's apt already uses (a
# corporate mirror or proxy included), without a trailing slash: the first URI
# ending in /debian of its Debian sources (deb822 `URIs:` lines and one-line `deb`
# lines), security archives and cachebench's own source files left out. Never a
# host written into the project. Returns 1 (printing nothing) when there is none.
# The Rust side reads it the same way: src/infra/network/apt.rs.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list \
          /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
        | grep -v -e security -e cachebench \
        | sed -E 's/^URIs:[[:space:]]*//; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' \
        | awk '{print $1}' | grep -E '://.*/debian/?$' | head -n1) || true
  [ -n "$uri" ] || return 1
  echo "${uri%/}"
}
