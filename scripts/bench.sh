#!/usr/bin/env bash
# Installs whatever is missing, then runs the quick default benchmark
# (scenarios/default.toml on dockerfiles/synthetic, --reps auto; it ends with the
# Decision). Extra arguments go to `cachebench run`, e.g.
# `bash scripts/bench.sh --reps 5 --out results/mine`. The full matrix:
# `./target/release/cachebench run scenarios/nightly.toml`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked
exec ./target/release/cachebench run scenarios/default.toml "$@"
