#!/usr/bin/env bash
# The one test command (README): every test, with and without the GUI.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steptime.sh
. scripts/steptime.sh
step "cargo test --all-targets" cargo test --locked --all-targets
step "cargo test --all-targets --no-default-features" cargo test --locked --all-targets --no-default-features
step "cargo test --doc" cargo test --locked --doc
