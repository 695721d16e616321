# shellcheck shell=bash
# Sourced by .ci/run, scripts/test.sh and scripts/package.sh: times the steps of a run.
#   step NAME COMMAND...  runs COMMAND and prints NAME with its wall and CPU time (user + system
#                         of every process it started), and appends that line to $STEP_LOG if set.
# CPU time is what an idle machine would need; on a shared, loaded one wall time is longer.

# Sets CPU to the CPU seconds used so far by the finished children of this shell. `times` must
# run in this shell, not in a subshell (a pipe or $(...) would see a new process's zeros).
cpu_s() {
    local f=${TMPDIR:-/tmp}/lamppost-times.$$
    times >"$f"
    CPU=$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, t, "m"); s += t[1] * 60 + t[2] } printf "%d", s }' "$f")
    rm -f "$f"
}

step() {
    local name=$1
    shift
    local t0=$SECONDS c0
    cpu_s
    c0=$CPU
    echo "== $name =="
    "$@"
    cpu_s
    local line
    line=$(printf '%-46s %5d s wall %5d s CPU' "$name" $((SECONDS - t0)) $((CPU - c0)))
    echo "$line"
    [ -z "${STEP_LOG:-}" ] || echo "$line" >>"$STEP_LOG"
}
