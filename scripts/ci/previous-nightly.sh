#!/usr/bin/env bash
# Downloads the merged results of the latest earlier nightly run that has them (the
# `cachebench-nightly` artifact) into DIR, with the GitHub CLI, and writes
# `found=true|false` to $GITHUB_OUTPUT. A run that failed on a regression still
# uploaded its results, so runs are tried newest first whatever their conclusion.
#
# Usage: previous-nightly.sh DIR
# Environment: GH_TOKEN (actions: read), GITHUB_REPOSITORY, GITHUB_RUN_ID,
# GITHUB_OUTPUT; NIGHTLY_WORKFLOW [default nightly.yml], ARTIFACT [default
# cachebench-nightly].
set -euo pipefail

dir=${1:?usage: previous-nightly.sh DIR}
: "${GITHUB_REPOSITORY:?set by the runner}"
: "${GITHUB_OUTPUT:?set by the runner}"
workflow=${NIGHTLY_WORKFLOW:-nightly.yml}
artifact=${ARTIFACT:-cachebench-nightly}

found=false
runs=$(gh run list --repo "$GITHUB_REPOSITORY" --workflow "$workflow" --limit 20 \
  --json databaseId,status --jq '.[] | select(.status == "completed") | .databaseId' || true)
for id in $runs; do
  [ "$id" != "${GITHUB_RUN_ID:-}" ] || continue
  rm -rf "$dir"
  if gh run download "$id" --repo "$GITHUB_REPOSITORY" --name "$artifact" --dir "$dir" >/dev/null 2>&1; then
    echo "previous nightly: run $id ($artifact)" >&2
    found=true
    break
  fi
done
[ "$found" = true ] || echo "previous nightly: none with $artifact yet; nothing to compare with or balance on" >&2
echo "found=$found" >>"$GITHUB_OUTPUT"
