#!/usr/bin/env bash
# Step 1 of the composite action (action.yml): puts cachebench on PATH, built from
# the action's own checkout ($GITHUB_ACTION_PATH) with `cargo install --locked`,
# unless a cachebench of the same version is already there (a job that built it
# once, or scripts/ci/run-action-locally.sh). Without `registry`, also makes sure
# the distribution registry binary cachebench starts on loopback is installed.
#
# Environment: GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_PATH (set by the runner);
# INPUT_REGISTRY, INPUT_DOCKER_HOST (the action's inputs).
set -euo pipefail

log() { printf 'cachebench action: %s\n' "$*" >&2; }
die() { printf '::error title=cachebench action::%s\n' "$*"; exit 2; }

: "${GITHUB_ACTION_PATH:?set by the runner: the folder of the action}"
: "${RUNNER_TEMP:?set by the runner: a temporary folder}"
: "${GITHUB_PATH:?set by the runner: the file of PATH additions}"

want=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)
[ -n "$want" ] || die "no version in $GITHUB_ACTION_PATH/Cargo.toml"

have=""
if command -v cachebench >/dev/null 2>&1; then
  have=$(cachebench --version 2>/dev/null | awk '{print $2}')
fi
if [ "$have" = "$want" ]; then
  log "using $(command -v cachebench) (cachebench $have, the action's version)"
else
  command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust on the runner (rustup) before this action"
  root="$RUNNER_TEMP/cachebench"
  log "building cachebench $want from $GITHUB_ACTION_PATH into $root (cargo install --locked)"
  cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$root"
  echo "$root/bin" >>"$GITHUB_PATH"
  export PATH="$root/bin:$PATH"
fi

# Without `registry`, cachebench starts the distribution registry on loopback.
if [ -z "${INPUT_REGISTRY:-}" ] && ! command -v docker-registry >/dev/null 2>&1 \
  && ! command -v registry >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing the distribution registry (apt package docker-registry)"
  $sudo apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >&2 \
    || die "could not install docker-registry; give the registry input (an existing registry) instead"
  # Only its binary is needed: cachebench runs it itself.
  $sudo systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

if [ -z "${INPUT_DOCKER_HOST:-}" ] && [ "$(id -u)" != 0 ]; then
  log "warning: docker-host is empty, so cachebench starts its own engine, which needs root"
fi
cachebench --version >&2
