#!/usr/bin/env bash
# Step 4 of the composite action (action.yml): the Decision as the action's output
# (the `## Decision` section of the results folder's github.md, as Markdown and as a
# file). cachebench itself appends github.md to the job summary; when it wrote no
# report, the job summary gets a line saying so.
#
# Environment: RESULTS (the results folder), INPUT_SUMMARY (`true`/`false`),
# GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and RUNNER_TEMP (set by the runner).
set -euo pipefail

: "${GITHUB_OUTPUT:?set by the runner}"
: "${RUNNER_TEMP:?set by the runner}"
: "${RESULTS:?the results folder, output of the run step}"

github_md="$RESULTS/github.md"
decision_file="$RUNNER_TEMP/cachebench-decision.md"
: >"$decision_file"
if [ -f "$github_md" ]; then
  # From `## Decision` to the next second-level heading.
  awk '/^## /{ if (inside) exit; if ($0 == "## Decision") inside = 1 } inside' "$github_md" >"$decision_file"
fi
if [ ! -s "$decision_file" ]; then
  printf '## Decision\n\nNo Decision: cachebench wrote no report in %s (see the log of the run step).\n' "$RESULTS" >"$decision_file"
  if [ "${INPUT_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$decision_file" >>"$GITHUB_STEP_SUMMARY"
  fi
fi

delimiter="cachebench_decision_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
{
  printf 'decision-file=%s\n' "$decision_file"
  printf 'decision<<%s\n' "$delimiter"
  cat "$decision_file"
  printf '\n%s\n' "$delimiter"
} >>"$GITHUB_OUTPUT"
cat "$decision_file"
