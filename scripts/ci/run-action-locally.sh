#!/usr/bin/env bash
# Runs the composite action (action.yml) on this machine the way a GitHub runner
# would: its inputs' defaults (or --input NAME=VALUE), the runner's files and
# variables in --state DIR, each `run:` step with its shell and env, `uses:` steps
# skipped with a note. Against the local Docker engine (the action's default
# docker-host). The cachebench on PATH is used when it has the action's version
# (put target/debug or target/release first on PATH to skip the build).
#
# Usage: scripts/ci/run-action-locally.sh --state DIR [--workspace DIR]
#                                         [--input NAME=VALUE]...
# Needs python3 with PyYAML (Debian: python3-yaml). Details: docs/ci.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec python3 "$here/run_action_locally.py" --action "$here/../.." "$@"
