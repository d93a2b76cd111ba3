#!/usr/bin/env bash
# The default workload (scenarios/default.toml: dockerfiles/synthetic, a 32 MB
# dependency layer) over several links: registry-cache and local-cache against no
# cache (buildkit), cold and warm-remote, after a source change, on the docker
# driver; then the report, whose "Break-even link" table gives, per cache, the
# lowest swept link at which it beats building with no cache, and whose Decision
# answers each link. See docs/link.md for a run's figures.
#
#   bash scripts/link-sweep.sh [LINK ...]   (default: none 20mbit/40ms cross-region same-region)
#
# Env: REPS (default 3), OUT (default results/link-sweep-<UTC>), CACHEBENCH (the
# binary; default: a release build). Root, with what scripts/setup.sh installs.
# local-cache reads a folder on the machine: its time does not depend on the link
# until actions/cache's transfers are counted (they go through the link too).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
OUT=${OUT:-results/link-sweep-$(date -u +%Y%m%dT%H%M%SZ)}
if [ "$#" -eq 0 ]; then set -- none 20mbit/40ms cross-region same-region; fi
if [ -z "${CACHEBENCH:-}" ]; then
  cargo build --release --locked
  CACHEBENCH=./target/release/cachebench
fi
args=()
for l in "$@"; do args+=(--link "$l"); done
"$CACHEBENCH" run scenarios/default.toml \
  --strategy buildkit --strategy registry-cache --strategy local-cache \
  --state cold --state warm-remote --change source \
  --reps "$REPS" --out "$OUT" "${args[@]}"
"$CACHEBENCH" report "$OUT" >/dev/null
echo "== $OUT/report.md, break-even:"
sed -n '/^## Break-even link/,/^## /p' "$OUT/report.md" | sed '$d'
