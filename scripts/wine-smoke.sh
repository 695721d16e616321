#!/usr/bin/env bash
# Smoke test of the Windows package under Wine and Xvfb (docs/PACKAGING.md):
#   scripts/wine-smoke.sh dist/stage/lamppost-VER-windows-x86_64
#
# 1. Copies the folder to C:\Program Files\灯杆 报警\ in a fresh Wine prefix (Chinese characters
#    and a space in the program's own path), with the TEST-ONLY ProcessPrng shim
#    (scripts/wine/bcryptprimitives.c) beside the exe. The shim never goes into dist/.
# 2. The command line: scripts/smoke-cli.sh with Windows paths (C:\用户\接警员\桌面\...), the
#    same answers as the native Linux build.
# 3. The default database goes to %APPDATA%\Lamppost\lamppost\data, not the program folder.
# 4. The window: starts under Xvfb, a code typed and Enter; while it holds the database open a
#    second process reads it; the call it logged is then listed and exported.
#    Screenshot: $SMOKE_SCREENSHOT (default dist/screenshot-windows.png).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$(cd "$1" && pwd)
SHOT=${SMOKE_SCREENSHOT:-$ROOT/dist/screenshot-windows.png}

WORK=$(mktemp -d /tmp/lamppost-wine.XXXXXX)
export WINEPREFIX=$WORK/prefix WINEARCH=win64 WINEDEBUG=-all
# No Mono/Gecko install dialogs; prefer the shim to Wine's own (incomplete) bcryptprimitives.
export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b"
unset LAMPPOST_DB LAMPPOST_CALLS LAMPPOST_BASEMAP
XVFB_PID=
cleanup() {
    wineserver -k 2>/dev/null || true
    [ -z "$XVFB_PID" ] || kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

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

# An X server first: wineboot and the GUI both want one.
for n in $(seq 91 120); do
    [ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ] || {
        DISP=:$n
        break
    }
done
Xvfb "$DISP" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
XVFB_PID=$!
export DISPLAY=$DISP
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break || sleep 0.2; done

t0=$SECONDS
wineboot -i >/dev/null 2>&1 || true
wineserver -w
echo "   wine prefix ready in $((SECONDS - t0)) s ($(wine --version))"

APP="$WINEPREFIX/drive_c/Program Files/灯杆 报警"
mkdir -p "$APP"
cp -r "$PKG"/. "$APP/"
before=$(cd "$APP" && find . | sort | md5sum)
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$APP/bcryptprimitives.dll" scripts/wine/bcryptprimitives.c -ladvapi32
EXE="$APP/lamppost.exe"

echo "== lamppost.exe =="
sub=$(x86_64-w64-mingw32-objdump -p "$EXE" | grep Subsystem || true)
if grep -q '(Windows GUI)' <<<"$sub"; then ok "GUI subsystem: no console window"; else bad "not a GUI-subsystem exe"; fi
res=$(x86_64-w64-mingw32-windres -i "$EXE" -O rc 2>/dev/null | grep -aE 'RT_GROUP_ICON|VERSIONINFO|"ProductName"' || true)
if grep -q RT_GROUP_ICON <<<"$res" && grep -q VERSIONINFO <<<"$res" && grep -q ProductName <<<"$res"
then ok "version information (zh-CN) and icon resource"; else bad "no version information in the exe"; fi
if [ -e "$PKG/bcryptprimitives.dll" ]; then bad "the Wine shim is in the package"; else ok "the package has no Wine shim"; fi

echo "== Windows CLI under Wine =="
SMOKE_WINPATH=1 SMOKE_WORK="$WINEPREFIX/drive_c" scripts/smoke-cli.sh "$EXE" wine || FAIL=$((FAIL + 1))

echo "== per-user data folder =="
APPDATA_DIR=$(winepath -u "$(wine cmd /c echo %APPDATA% 2>/dev/null | tr -d '\r')" 2>/dev/null)
DEFAULT_DB="$APPDATA_DIR/Lamppost/lamppost/data/lamppost.sqlite"
out=$(wine "$EXE" lookup 2450034 2>/dev/null | tr -d '\r')
if grep -q '重慶北路一段 第34号灯杆' <<<"$out" && [ -s "$DEFAULT_DB" ]; then
    ok "first lookup created the database in %APPDATA%\\Lamppost\\lamppost\\data"
else
    bad "default database: $DEFAULT_DB; output: $out"
fi

echo "== Windows GUI under Wine + Xvfb =="
wine "$EXE" >"$WORK/gui.log" 2>&1 &
GUI_PID=$!
WIN=
for _ in $(seq 120); do
    WIN=$(xdotool search --name 'Lamppost' 2>/dev/null | head -1) || true
    [ -z "$WIN" ] || break
    kill -0 $GUI_PID 2>/dev/null || break
    sleep 0.5
done
if [ -n "$WIN" ]; then
    ok "the window opened: $(xdotool getwindowname "$WIN")"
    sleep 4
    xdotool windowfocus --sync "$WIN" 2>/dev/null || xdotool windowfocus "$WIN" || true
    xdotool type --delay 60 2450034
    xdotool key Return
    sleep 5
    import -window root "$SHOT"
    ok "screenshot: $SHOT"
    # Another process reads the database the window holds open (Windows file sharing, WAL).
    out=$(wine "$EXE" lookup 2450034 --json 2>&1 | tr -d '\r')
    if grep -q '"key": "2450034"' <<<"$out"; then ok "a second process reads while the window runs"; else bad "concurrent lookup: $out"; fi
    kill -0 $GUI_PID 2>/dev/null && ok "the window is still running" || bad "the window exited: $(tail -5 "$WORK/gui.log")"
    # The call the window logged when Enter was pressed, exported to a Chinese file name.
    sleep 2
    out=$(wine "$EXE" calls list --all --json 2>&1 | tr -d '\r')
    if grep -q '2450034\|2-45-0034' <<<"$out"; then ok "the window logged the call"; else bad "no call logged: $(head -c 300 <<<"$out")"; fi
    mkdir -p "$WINEPREFIX/drive_c/用户/接警员/桌面"
    wine "$EXE" calls export 'C:\用户\接警员\桌面\交班 报表.csv' --all >/dev/null 2>&1 || true
    CSV="$WINEPREFIX/drive_c/用户/接警员/桌面/交班 报表.csv"
    if [ -s "$CSV" ] && grep -q '2-45-0034\|2450034' "$CSV"; then ok "calls export to C:\\用户\\接警员\\桌面\\交班 报表.csv"; else bad "calls export"; fi
else
    bad "no window appeared: $(tail -20 "$WORK/gui.log")"
fi
wineserver -k 2>/dev/null || true
wait $GUI_PID 2>/dev/null || true

rm -f "$APP/bcryptprimitives.dll"
after=$(cd "$APP" && find . | sort | md5sum)
if [ "$before" = "$after" ]; then ok "nothing was written into the program folder"; else bad "the program folder changed"; fi

echo "wine: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
