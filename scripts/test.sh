#!/usr/bin/env bash
# The one test command (README): every test of every crate of the workspace, with the window
# (the `gui` feature). The crates below the binary have no such feature: they are compiled
# once. The binary without the window (`--no-default-features`) is checked by clippy in .ci/run;
# its code is the same but for the window.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/steptime.sh
. scripts/steptime.sh
step "cargo test --workspace --all-targets" cargo test --locked --workspace --all-targets
step "cargo test --workspace --doc" cargo test --locked --workspace --doc
