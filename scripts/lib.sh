# shellcheck shell=bash
# What the smoke tests share (scripts/smoke-cli.sh, wine-smoke.sh, arm64-gui-smoke.sh):
# pass/fail counting and a private X server. Sourced, never run.

PASS=0
FAIL=0

ok() {
    PASS=$((PASS + 1))
    echo "  ok    $*"
}

bad() {
    FAIL=$((FAIL + 1))
    echo "  FAIL  $*"
}

# Prints "NAME: N passed, M failed" and fails when anything did.
summary() {
    echo "$1: $PASS passed, $FAIL failed"
    [ "$FAIL" = 0 ]
}

# start_xvfb FIRST LAST: an Xvfb on the first free display number in FIRST..LAST (each script
# has its own range, so two smoke tests can run at once), exported as DISPLAY; its pid in
# XVFB_PID for the caller's cleanup. Returns once the server answers (at most 10 s).
start_xvfb() {
    local n disp=
    for n in $(seq "$1" "$2"); do
        if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
            disp=:$n
            break
        fi
    done
    if [ -z "$disp" ]; then
        echo "no free X display in :$1..:$2" >&2
        return 1
    fi
    Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
    XVFB_PID=$!
    export DISPLAY=$disp
    for _ in $(seq 50); do
        if xdpyinfo >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    echo "Xvfb on $disp did not answer" >&2
    return 1
}
