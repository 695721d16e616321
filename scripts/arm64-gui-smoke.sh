#!/usr/bin/env bash
# The arm64 window under emulation (docs/PACKAGING.md): the packaged arm64 `lamppost` under
# qemu-user, with Debian's arm64 X11/GL libraries (a foreign architecture) and Xvfb. The demo
# opens, a code is typed and Enter pressed; the call it logs is read back with the arm64 CLI.
#
#   scripts/arm64-gui-smoke.sh dist/stage/lamppost-VER-linux-arm64/lamppost
#
# Optional: when the arm64 libraries are missing it says so and exits 0 (skipped);
# `scripts/package.sh --deps --test linux-arm64` installs them. Screenshot: $SMOKE_SCREENSHOT
# (default dist/screenshot-arm64.png). Mesa's llvmpipe renders; every frame is emulated, so
# the window is slow (docs/PACKAGING.md has the times) but it is the real arm64 program.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
EXE=$(realpath "$1")
SHOT=${SMOKE_SCREENSHOT:-$ROOT/dist/screenshot-arm64.png}
ML=/usr/lib/aarch64-linux-gnu

missing=()
for f in /lib/ld-linux-aarch64.so.1 $ML/libX11.so.6 $ML/libX11-xcb.so.1 $ML/libxkbcommon-x11.so.0 \
    $ML/libXcursor.so.1 $ML/libXi.so.6 $ML/libXrandr.so.2 $ML/libEGL.so.1 $ML/libGL.so.1 \
    $ML/dri/swrast_dri.so; do
    [ -e "$f" ] || missing+=("$f")
done
for c in qemu-aarch64 Xvfb xdotool import xdpyinfo; do
    command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "  skip  arm64 window: missing ${missing[*]}"
    echo "        (scripts/package.sh --deps --test linux-arm64 installs the arm64 libraries)"
    exit 0
fi

WORK=$(mktemp -d /tmp/lamppost-arm64-gui.XXXXXX)
XVFB_PID=
GUI_PID=
cleanup() {
    [ -z "$GUI_PID" ] || kill "$GUI_PID" 2>/dev/null || true
    [ -z "$XVFB_PID" ] || kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

start_xvfb 121 150

# A new user: settings, database and call log in a scratch home. The arm64 glibc and libraries
# are the multiarch ones (libc6:arm64), so qemu needs no -L.
export HOME=$WORK/home XDG_DATA_HOME='' XDG_CONFIG_HOME=''
unset LAMPPOST_DB LAMPPOST_CALLS LAMPPOST_BASEMAP WAYLAND_DISPLAY
export LIBGL_ALWAYS_SOFTWARE=1
mkdir -p "$HOME"
arm() { qemu-aarch64 "$EXE" "$@"; }

echo "== arm64 window under qemu-user + Xvfb =="
t0=$SECONDS
# The operator's name is given (the window would ask for it first, docs/USER-GUIDE.md).
LAMPPOST_OPERATOR=smoke arm >"$WORK/gui.log" 2>&1 &
GUI_PID=$!
WIN=
for _ in $(seq 360); do
    WIN=$(xdotool search --name 'Lamppost' 2>/dev/null | head -1) || true
    [ -z "$WIN" ] || break
    kill -0 $GUI_PID 2>/dev/null || break
    sleep 0.5
done
if [ -z "$WIN" ]; then
    bad "no window in $((SECONDS - t0)) s: $(tail -20 "$WORK/gui.log")"
    echo "arm64 window: $PASS passed, $FAIL failed"
    exit 1
fi
ok "the window opened after $((SECONDS - t0)) s: $(xdotool getwindowname "$WIN")"
# The first frames (fonts, index, basemap) take a while under emulation.
sleep 15
xdotool windowfocus --sync "$WIN" 2>/dev/null || xdotool windowfocus "$WIN" || true
xdotool type --delay 150 2450034
xdotool key Return
# Wait for the call the window logs on Enter (the worker writes it), then photograph.
CALLS_DB=$HOME/.local/share/lamppost/calls.sqlite
logged=
for _ in $(seq 60); do
    if [ -s "$CALLS_DB" ]; then
        out=$(arm calls list --all --json 2>&1 || true)
        if grep -q '2-45-0034' <<<"$out"; then
            logged=1
            break
        fi
    fi
    sleep 1
done
sleep 5
import -window root "$SHOT"
ok "screenshot: $SHOT ($((SECONDS - t0)) s after the start)"
if [ -n "$logged" ]; then ok "the window looked up 2450034 and logged the call"; else bad "no call logged: $(find "$HOME/.local/share" 2>&1 | head -5)"; fi
if kill -0 $GUI_PID 2>/dev/null; then ok "the window is still running"; else bad "the window exited: $(tail -5 "$WORK/gui.log")"; fi

summary "arm64 window"
