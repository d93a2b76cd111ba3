#!/usr/bin/env bash
# Replays a results folder's recorded runs through the `--reps auto` stop rule:
# the measured builds auto would have used against those recorded, and whether its
# verdicts agree with the rule on all recorded reps and with report.md's bolded
# wins. Prints a table and writes OUT/replay-auto.json. Needs no Docker.
#   bash scripts/replay-reps-auto.sh OUT [--confidence C] [--min-reps N] [--max-reps N] [--margin M]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash scripts/replay-reps-auto.sh OUT [--confidence C] [--min-reps N] [--max-reps N] [--margin M]" >&2
  exit 2
fi
out=$(realpath -- "$1")
shift
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exec ./target/release/cachebench replay "$out" "$@"
