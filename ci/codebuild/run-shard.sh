#!/usr/bin/env bash
# CodeBuild build phase (ci/codebuild/buildspec.yml): runs the scenario's matrix, or
# its part CACHEBENCH_SHARD (I/N), on the build's own Docker daemon (privileged
# mode), with the ECR repository as the registry.
#
# Environment: CACHEBENCH_SCENARIO, CACHEBENCH_OUT, ECR_REPOSITORY_URI, and
# CACHEBENCH_SHARD (from the batch build-list; empty: the whole matrix).
set -euo pipefail

: "${CACHEBENCH_SCENARIO:?the scenario file}"
: "${CACHEBENCH_OUT:?the results folder}"
: "${ECR_REPOSITORY_URI:?the ECR repository, set by the CodeBuild project}"

args=(run "$CACHEBENCH_SCENARIO"
  --registry "$ECR_REPOSITORY_URI"
  --docker-host unix:///var/run/docker.sock --allow-prune
  --out "$CACHEBENCH_OUT")
if [ -n "${CACHEBENCH_SHARD:-}" ]; then
  args+=(--shard "$CACHEBENCH_SHARD")
fi
printf 'cachebench'
printf ' %q' "${args[@]}"
printf '\n'
code=0
cachebench "${args[@]}" || code=$?
if [ -f "$CACHEBENCH_OUT/report.md" ]; then
  sed -n '/^## Decision/,/^## Results/p' "$CACHEBENCH_OUT/report.md"
fi
# 1: some runs failed (recorded in the results, which are still uploaded).
if [ "$code" -gt 1 ]; then
  exit "$code"
fi
