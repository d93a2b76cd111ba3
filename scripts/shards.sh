#!/usr/bin/env bash
# One matrix as N shards on this machine, one after another, each its own
# `cachebench run --shard I/N` (its own engine and registry), then `cachebench merge`:
# the time of each part and of the merge, and the merged folder.
#
#   bash scripts/shards.sh [N] [SCENARIO] [-- extra run flags]   (defaults: 3, scenarios/default.toml; root)
#
# Output: $OUT/part-I/ (each part), $OUT/merged/ (the merged folder and its report),
# $OUT/shards.md (the plan's matrix and a table of times).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-3}
SCENARIO=${2:-scenarios/default.toml}
shift $(( $# > 2 ? 2 : $# ))
[ "${1:-}" = "--" ] && shift
OUT=${OUT:-results/shards-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
BIN=${CACHEBENCH:-$PWD/target/release/cachebench}
[ -x "$BIN" ] || cargo build --release --locked
{
  echo "# $N shards of $SCENARIO $*"
  echo
  echo '```json'
  "$BIN" plan "$SCENARIO" "$@" --format gha-matrix --shards "$N"
  echo '```'
  echo
  echo "| step | exit | seconds |"
  echo "|---|--:|--:|"
} > "$OUT/shards.md"
parts=()
for i in $(seq 1 "$N"); do
  t0=$(date +%s)
  code=0
  "$BIN" run "$SCENARIO" "$@" --shard "$i/$N" --out "$OUT/part-$i" > "$OUT/part-$i.log" 2>&1 || code=$?
  echo "| run --shard $i/$N | $code | $(( $(date +%s) - t0 )) |" >> "$OUT/shards.md"
  parts+=("$OUT/part-$i")
done
t0=$(date +%s)
code=0
"$BIN" merge "${parts[@]}" --out "$OUT/merged" > "$OUT/merge.log" 2>&1 || code=$?
echo "| merge | $code | $(( $(date +%s) - t0 )) |" >> "$OUT/shards.md"
cat "$OUT/shards.md"
echo "merged: $OUT/merged/report.md"
