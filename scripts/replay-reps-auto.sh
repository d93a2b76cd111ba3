#!/usr/bin/env bash
# Replays a results folder's recorded runs through the `--reps auto` stop rule:
# the measured builds auto would have used against those recorded, and whether its
# verdicts agree with the rule on all recorded reps and with report.md's bolded
# wins. Prints a table; with --json PATH also writes the replay as JSON to PATH.
# Writes nothing into OUT (it may be read-only or committed). Needs no Docker.
#   bash scripts/replay-reps-auto.sh OUT [--json PATH] [--confidence C] [--min-reps N] [--max-reps N] [--margin M]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash scripts/replay-reps-auto.sh OUT [--json PATH] [--confidence C] [--min-reps N] [--max-reps N] [--margin M]" >&2
  exit 2
fi
# Stays in the caller's folder, so relative OUT and --json paths mean what they say.
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
exec "$root/target/release/cachebench" replay "$@"
