#!/usr/bin/env bash
# Installs whatever is missing, then runs the default benchmark
# (scenarios/default.toml on dockerfiles/synthetic). Extra arguments go to
# `cachebench run`, e.g. `bash scripts/bench.sh --reps 5 --out results/mine`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked
exec ./target/release/cachebench run scenarios/default.toml "$@"
