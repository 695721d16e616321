#!/usr/bin/env bash
# The cargo integration tests that run the program (tests/cli.rs, tests/import.rs) against a
# packaged executable, through a runner (tests/common/mod.rs):
#
#   scripts/cli-suite.sh LABEL EXE [RUNNER WORDS...]
#     e.g. scripts/cli-suite.sh arm64 dist/stage/lamppost-0.1.0-linux-arm64/lamppost qemu-aarch64 -L /usr/aarch64-linux-gnu
#
# The test binaries are the native ones that scripts/test.sh built (with the same environment,
# as in .ci/run): with them built, cargo only runs them; there is no second test build. A test that cannot hold for a packaged executable prints "SKIPPED for the
# packaged executable: …"; those are counted apart, not as passed. The full output goes to
# dist/cli-suite-LABEL.log.
set -euo pipefail
cd "$(dirname "$0")/.."
LABEL=$1
EXE=$(realpath "$2")
shift 2
mkdir -p dist
LOG=$PWD/dist/cli-suite-$LABEL.log
echo "   runner: ${*:-(none)}; executable: $EXE; log: $LOG"
st=0
LAMPPOST_TEST_EXE=$EXE LAMPPOST_TEST_RUNNER="$*" cargo test --locked --no-fail-fast \
    --test cli --test import -- --show-output >"$LOG" 2>&1 || st=$?
sum() { awk '{ s += $1 } END { print s + 0 }'; }
passed=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed.*/\1/p' "$LOG" | sum)
failed=$(sed -n 's/^test result: .* \([0-9]*\) failed.*/\1/p' "$LOG" | sum)
skipped=$(grep -c '^SKIPPED for the packaged executable' "$LOG" || true)
grep -E '^(SKIPPED for the packaged executable|test .* FAILED$)' "$LOG" | sed 's/^/   /' || true
if [ "$st" != 0 ]; then
    grep -E -A20 '^---- .* stdout ----' "$LOG" | grep -v '^SKIPPED' | head -80 || true
    grep -E '^error' "$LOG" | head -10 || true
fi
echo "cli suite $LABEL: $((passed - skipped)) passed, $failed failed, $skipped skipped"
if [ "$st" != 0 ]; then
    echo "cli suite $LABEL: cargo test exited $st (log: $LOG)" >&2
    exit 1
fi
