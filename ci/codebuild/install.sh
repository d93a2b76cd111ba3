#!/usr/bin/env bash
# CodeBuild install phase (ci/codebuild/buildspec.yml): Rust when the image has none,
# then cachebench built from this checkout (kept in target/ between builds by the
# LOCAL_SOURCE_CACHE and the buildspec's cache paths).
set -euo pipefail

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "codebuild: installing Rust (rustup, minimal profile)" >&2
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >&2
  export PATH="$HOME/.cargo/bin:$PATH"
fi
cargo build --release --locked
install -m 0755 target/release/cachebench /usr/local/bin/cachebench
cachebench --version
