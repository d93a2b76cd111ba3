#!/usr/bin/env bash
# Last step of the composite action (action.yml): after the report and the upload,
# fail with cachebench's exit code when `fail-on-error` is true.
#
# Environment: EXIT_CODE (the run step's output), INPUT_FAIL_ON_ERROR.
set -euo pipefail

code=${EXIT_CODE:-}
if [ -z "$code" ]; then
  echo "cachebench action: the run step recorded no exit code" >&2
  exit 3
fi
if [ "$code" != 0 ] && [ "${INPUT_FAIL_ON_ERROR:-true}" = true ]; then
  echo "cachebench action: cachebench exited $code (fail-on-error: true)" >&2
  exit "$code"
fi
