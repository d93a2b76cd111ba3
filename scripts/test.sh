#!/usr/bin/env bash
# Installs whatever is missing (Docker engine, buildx, registry, base image), then
# runs the checks and every test: formatting, clippy, rustdoc, unit, snapshot and,
# with the `engine-tests` feature, the integration tests against the real engine
# and registry and the render check of github.md (cmark-gfm, Chromium, mermaid-cli).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v cargo >/dev/null 2>&1; then
  echo "test: cargo not found; install Rust (rustup) first" >&2
  exit 2
fi
cargo fmt --check
cargo clippy --all-targets --all-features --locked -- -D warnings
# Doc links and doc HTML, private items included (no dependencies' docs: cheap).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --document-private-items --locked --quiet
bash scripts/lint-ci.sh
# Two test threads: each integration test starts its own dockerd and registry.
cargo test --locked --features engine-tests -- --test-threads=2
