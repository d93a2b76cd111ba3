#!/usr/bin/env bash
# Makes a results folder small enough to commit: keeps the records, summaries and
# reports the docs cite, drops the bulk that only a new run can make again.
#
#   bash scripts/prune-results.sh [--records-only] DIR...
#
# Dropped everywhere under DIR:
#   logs/       every run's raw log and its readable transcript (cachebench run)
#   *.log       a script's transcript of its own commands and of cachebench's output
#   *.rawjson   raw build streams (scripts/daemon-freshness.sh)
#   charts/*.svg  the vector twins of the PNG charts the reports show (`cachebench
#               report` draws both again)
# With --records-only, also what `cachebench report` renders again from the records,
# in every results folder under DIR (a folder holding runs.jsonl): report.md,
# github.md, summary.csv, summary.json, benchmark.json and charts/; runs.csv, whose
# every column is a field of runs.jsonl; and each record's `commands` (the docker
# argv the plan gives again; their times are the record's phases) and
# `step_details` (each step's duration and cache hit, as the build printed them;
# the record keeps `steps_total`, `steps_cached` and its `state_check`, and the
# report reads step details only for a cache-mount step). Kept: runs.jsonl,
# env.json, scenario.toml, stopping.json and the script's own tables. Needs jq.
# For experiments whose own table is what the docs cite (scripts/fidelity.sh).
set -euo pipefail
records_only=0
if [ "${1:-}" = --records-only ]; then records_only=1; shift; fi
if [ $# -eq 0 ]; then
  echo "usage: bash scripts/prune-results.sh [--records-only] DIR..." >&2
  exit 2
fi
for d in "$@"; do
  if [ ! -d "$d" ]; then echo "prune-results: $d is not a folder" >&2; exit 2; fi
  before=$(du -sk "$d" | cut -f1)
  find "$d" -type d -name logs -prune -exec rm -rf {} +
  find "$d" -type f \( -name '*.log' -o -name '*.rawjson' \) -delete
  find "$d" -type f -path '*/charts/*.svg' -delete
  if [ "$records_only" = 1 ]; then
    while IFS= read -r -d '' runs; do
      run=$(dirname "$runs")
      rm -rf "$run/charts" "$run/report.md" "$run/github.md" "$run/summary.csv" \
        "$run/summary.json" "$run/benchmark.json" "$run/runs.csv"
      jq -c 'del(.commands, .step_details)' "$runs" > "$runs.pruned" && mv "$runs.pruned" "$runs"
    done < <(find "$d" -type f -name runs.jsonl -print0)
  fi
  echo "prune-results: $d: ${before} KiB -> $(du -sk "$d" | cut -f1) KiB"
done
