#!/usr/bin/env bash
# The one test command (README): every test, with and without the GUI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --locked --all-targets
cargo test --locked --all-targets --no-default-features
cargo test --locked --doc
