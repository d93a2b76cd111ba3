#!/usr/bin/env bash
# Measures docker-container builders on this machine with cachebench itself, on its
# own engine: builder creation on a cold runner (the BuildKit image pulled into a
# fresh data-root, then the builder booted), and the cost of `--load` (the `load`
# phase: the image sent as a tarball from the builder into the engine) in cold and
# warm-local builds, next to the docker driver (which needs no load).
#
# Usage: bash scripts/container-builder-figures.sh [OUT]
# Environment:
#   REPS=5            measured runs per cell
#   DEPS_MB=64        size of the dependency layer (what --load has to send)
#   CACHEBENCH=PATH   the binary (default target/release/cachebench, built if missing)
#
# Prints the medians per cell from OUT/runs.csv (measured runs with status ok).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-5}
DEPS_MB=${DEPS_MB:-64}
OUT=${1:-results/container-builder-$(date -u +%Y%m%dT%H%M%SZ)}
BIN=${CACHEBENCH:-target/release/cachebench}
if [ ! -x "$BIN" ]; then
  cargo build --release --locked
fi

# A failed run (exit 1) is recorded and left out of the medians; the figures are
# still printed, and the script exits with cachebench's code.
status=0
"$BIN" run --context dockerfiles/synthetic --source-file src/main.txt --deps-file deps.txt \
  --build-arg "DEPS_MB=$DEPS_MB" --build-arg DEPS_ROUNDS=1 --build-arg SRC_ROUNDS=1 \
  --builder docker --builder docker-container --strategy buildkit \
  --state cold --state warm-local --change source \
  --reps "$REPS" --out "$OUT" >&2 || status=$?
[ -f "$OUT/runs.csv" ] || exit "$status"

# Median of each column per cell (runs.csv has no commas inside these fields for
# measured ok runs: the reason is empty).
awk -F, -v cols="wall_ms builder_create_ms builder_pull_ms builder_boot_ms load_ms" '
  NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; n = split(cols, want, " "); next }
  $idx["status"] == "ok" && $idx["kind"] == "measured" {
    cell = $idx["builder"] "/" $idx["state"]
    if (!(cell in count)) order[++cells] = cell
    k = ++count[cell]
    for (j = 1; j <= n; j++) v[cell, want[j], k] = $idx[want[j]]
  }
  function median(cell, col,    m, i, a, t, x, y) {
    m = 0
    for (i = 1; i <= count[cell]; i++) if (v[cell, col, i] != "") a[++m] = v[cell, col, i] + 0
    if (m == 0) return "-"
    for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  END {
    printf "%-28s %4s", "cell (buildkit, median ms)", "n"
    for (j = 1; j <= n; j++) printf " %18s", want[j]
    printf "\n"
    for (c = 1; c <= cells; c++) {
      printf "%-28s %4d", order[c], count[order[c]]
      for (j = 1; j <= n; j++) printf " %18s", median(order[c], want[j])
      printf "\n"
    }
  }' "$OUT/runs.csv"
echo "results: $OUT" >&2
exit "$status"
