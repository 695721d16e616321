#!/usr/bin/env bash
# Smoke test of the Windows package under Wine and Xvfb (docs/PACKAGING.md):
#   scripts/wine-smoke.sh dist/stage/lamppost-VER-windows-x86_64
#
# 1. Copies the folder to C:\Program Files\灯杆 报警\ in a fresh Wine prefix (Chinese characters
#    and a space in the program's own path), with the TEST-ONLY ProcessPrng shim
#    (scripts/wine/bcryptprimitives.c) beside the exe. The shim never goes into dist/.
# 2. The command line: scripts/smoke-cli.sh with Windows paths (C:\用户\接警员\桌面\...), the
#    same answers as the native Linux build; then the cargo CLI tests against lamppost.exe
#    (scripts/cli-suite.sh; about a minute; SMOKE_CARGO_SUITE=0 leaves them out). The tests'
#    Unix temp paths reach the exe through Wine's Z: drive.
# 3. The default database goes to %APPDATA%\Lamppost\lamppost\data, not the program folder.
# 4. The window: starts under Xvfb, a code typed and Enter; while it holds the database open a
#    second process reads it; the call it logged is then listed and exported.
# 5. A data package swap (Windows file locking): a supervisor's database gets a CRLF import and
#    is exported as a package; it is installed into the database the window holds open while a
#    second process keeps reading; every read sees the old data or the new, the window finds the
#    new pole, the previous data is kept. Screenshot: $SMOKE_SCREENSHOT with -package.
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

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
KNOWN=0

# An X server first: wineboot and the GUI both want one.
start_xvfb 91 120

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

# The cargo CLI tests (tests/cli.rs, import.rs) against lamppost.exe under Wine:
# the same assertions as on Linux, on Unix paths that Wine maps through Z:.
if [ "${SMOKE_CARGO_SUITE:-1}" = 1 ]; then
    echo "== cargo CLI tests against lamppost.exe under Wine =="
    scripts/cli-suite.sh windows "$EXE" wine || FAIL=$((FAIL + 1))
fi

echo "== per-user data folder =="
APPDATA_DIR=$(winepath -u "$(wine cmd /c echo %APPDATA% 2>/dev/null | tr -d '\r')" 2>/dev/null)
DEFAULT_DB="$APPDATA_DIR/Lamppost/lamppost/data/lamppost.sqlite"
out=$(wine "$EXE" lookup 2450034 2>/dev/null | tr -d '\r')
if grep -q '重慶北路一段 第34号灯杆' <<<"$out" && [ -s "$DEFAULT_DB" ]; then
    ok "first lookup created the database in %APPDATA%\\Lamppost\\lamppost\\data"
else
    bad "default database: $DEFAULT_DB; output: $out"
fi

# The supervisor's new data reaches this workstation as a data package, installed into the
# database that the running window holds open while a second process keeps reading it: SQLite's
# online backup writes into the open file (no rename, which Windows refuses on an open file).
# Every read must see the old data or the new, never an error or a mix; the window must pick up
# the new data by itself; the replaced data is kept as lamppost.sqlite.previous.
package_swap() {
    local sup_u=$WINEPREFIX/drive_c/用户/值班长 sup='C:\用户\值班长\灯杆 主库.sqlite'
    local pkg='C:\用户\值班长\数据 包\台北 v2.sqlite' out st
    mkdir -p "$sup_u"
    # One new pole, in a CRLF file with a Chinese name and a space.
    printf '编码,街路,杆号,纬度,经度\r\n9-99-0001,测试路,1,25.05,121.51\r\n' >"$sup_u/新 灯杆.csv"
    wine "$EXE" --db "$sup" init >/dev/null 2>&1 || bad "init of the supervisor's database"
    out=$(wine "$EXE" --db "$sup" import 'C:\用户\值班长\新 灯杆.csv' --json 2>&1 | tr -d '\r') || true
    if grep -q '"version": 2' <<<"$out"; then ok "import of a CRLF CSV on the supervisor's database: version 2"; else bad "import: $(head -c 300 <<<"$out")"; fi
    out=$(wine "$EXE" --db "$sup" package export "$pkg" 2>&1 | tr -d '\r') || true
    if [ -s "$sup_u/数据 包/台北 v2.sqlite" ] && [ -s "$sup_u/数据 包/台北 v2.sqlite.json" ]; then
        ok "package export to C:\\用户\\值班长\\数据 包\\台北 v2.sqlite"
    else
        bad "package export: $(head -c 300 <<<"$out")"
        return
    fi
    # The workstation's database gets a supervisor password, so the install has to give it.
    if LAMPPOST_NEW_SUPERVISOR_PASSWORD=zhibanzhang wine "$EXE" password set >/dev/null 2>&1; then
        ok "a supervisor password on the workstation's database (held open by the window)"
    else
        bad "password set while the window runs"
    fi

    # The second process: lookups and stats in a loop until told to stop, each read kept apart.
    local reads=$WORK/reads
    mkdir -p "$reads"
    (
        i=0
        while [ ! -e "$reads/stop" ]; do
            i=$((i + 1))
            rst=0
            wine "$EXE" stats --json >"$reads/$i.json" 2>"$reads/$i.err" </dev/null || rst=$?
            echo "$rst" >"$reads/$i.status"
        done
    ) &
    local reader=$!
    sleep 3
    st=0
    out=$(LAMPPOST_SUPERVISOR_PASSWORD=zhibanzhang wine "$EXE" package install --allow-unsigned "$pkg" </dev/null 2>&1 | tr -d '\r') || st=$?
    sleep 3
    touch "$reads/stop"
    wait "$reader" || true
    if [ "$st" = 0 ] && grep -q 'installed: data version 1 → 2' <<<"$out"; then
        ok "package install while the window and a reader hold the database open: 1 → 2"
    else
        bad "package install (exit $st): $(head -c 400 <<<"$out")"
    fi
    # Every read: exit 0, and the old data (version 1, 4102 codes) or the new (2, 4103), in order.
    if out=$(python3 - "$reads" <<'PY'
import json, os, sys
d = sys.argv[1]
n = sorted(int(f[:-7]) for f in os.listdir(d) if f.endswith(".status"))
seen, bad = [], []
for i in n:
    st = open(f"{d}/{i}.status").read().strip()
    if st != "0":
        bad.append(f"read {i}: exit {st}: {open(f'{d}/{i}.err', encoding='utf-8', errors='replace').read()[:200]}")
        continue
    v = json.load(open(f"{d}/{i}.json", encoding="utf-8"))
    seen.append((v["data_version"], v["codes"]))
old, new = seen.count((1, 4102)), seen.count((2, 4103))
# A read whose index was built while the install committed: the data version read first, the
# poles after (SearchIndex::from_store reads in several statements and two connections, not
# one snapshot). Reported apart (exit 3), a known gap (docs/PACKAGING.md), not a pass.
mixed = [s for s in seen if s in [(1, 4103), (2, 4102)]]
other = [s for s in seen if s not in [(1, 4102), (2, 4103), (1, 4103), (2, 4102)]]
print(f"{len(n)} reads: {old} old, {new} new, {len(mixed)} mixed, {len(bad)} failed; in order: {seen}")
for b in bad:
    print(b)
versions = [v for v, _ in seen]
codes = [c for _, c in seen]
if bad or other or not old or not new or versions != sorted(versions) or codes != sorted(codes):
    sys.exit(1)
sys.exit(3 if mixed else 0)
PY
    ); then
        ok "the second process: $out"
    elif [ $? = 3 ]; then
        KNOWN=$((KNOWN + 1))
        echo "  KNOWN the second process saw a mix of old and new (a known gap, docs/PACKAGING.md): $out"
    else
        bad "the second process: $out"
    fi
    out=$(wine "$EXE" lookup 9990001 --json 2>&1 | tr -d '\r') || true
    if grep -q '"code": "9-99-0001"' <<<"$out"; then ok "a new process finds the new pole"; else bad "new pole: $(head -c 300 <<<"$out")"; fi
    out=$(wine "$EXE" --db "$(winepath -w "$DEFAULT_DB.previous" 2>/dev/null)" stats --json 2>&1 | tr -d '\r') || true
    if grep -q '"data_version": 1' <<<"$out" && grep -q '"codes": 4102' <<<"$out"; then
        ok "the previous data kept as lamppost.sqlite.previous (version 1)"
    else
        bad "previous data: $(head -c 300 <<<"$out")"
    fi
    # The window reloads by itself (it checks the data version every 2 s, then rebuilds its
    # index, which on a loaded machine takes a while and may drop keys typed meanwhile) and
    # finds the new pole: type it until the call is logged, for up to a minute.
    local found='' t0=$SECONDS
    while [ $((SECONDS - t0)) -lt 60 ]; do
        sleep 3
        xdotool windowfocus --sync "$WIN" 2>/dev/null || xdotool windowfocus "$WIN" || true
        xdotool key Escape
        sleep 0.5
        xdotool type --delay 80 9990001
        xdotool key Return
        sleep 2
        out=$(wine "$EXE" calls list --all --json 2>&1 | tr -d '\r') || true
        if grep -q '9-99-0001' <<<"$out"; then
            found=1
            break
        fi
    done
    import -window root "${SHOT%.png}-package.png"
    if [ -n "$found" ]; then
        ok "the window found the new pole $((SECONDS - t0)) s after the swap (call logged)"
    else
        bad "the window did not find the new pole in 60 s: $(head -c 300 <<<"$out")"
    fi
    if kill -0 "$GUI_PID" 2>/dev/null; then ok "the window is still running"; else bad "the window exited: $(tail -5 "$WORK/gui.log")"; fi
}

echo "== Windows GUI under Wine + Xvfb =="
# The operator's name is given (the window would ask for it first).
LAMPPOST_OPERATOR=smoke wine "$EXE" >"$WORK/gui.log" 2>&1 &
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
    # Ctrl+Shift+C copies the read-back sentence to the Windows clipboard, which Wine shares
    # with the X server's: another program (xclip) pastes it (tests/gui_clipboard.rs checks
    # the same on X11 directly).
    if command -v xclip >/dev/null; then
        xdotool key ctrl+shift+c
        sleep 2
        clip=$(timeout 5 xclip -o -selection clipboard 2>/dev/null) || true
        if grep -q '重慶北路一段' <<<"$clip"; then
            ok "Ctrl+Shift+C reached the clipboard: $(head -c 60 <<<"$clip")"
        else
            bad "the copy did not reach the clipboard: $(head -c 100 <<<"$clip")"
        fi
    else
        echo "  SKIPPED the clipboard check under Wine: no xclip"
    fi
    # Another process reads the database the window holds open (Windows file sharing, WAL).
    out=$(wine "$EXE" lookup 2450034 --json 2>&1 | tr -d '\r')
    if grep -q '"key": "2450034"' <<<"$out"; then ok "a second process reads while the window runs"; else bad "concurrent lookup: $out"; fi
    if kill -0 $GUI_PID 2>/dev/null; then ok "the window is still running"; else bad "the window exited: $(tail -5 "$WORK/gui.log")"; fi
    # The call the window logged when Enter was pressed, exported to a Chinese file name.
    sleep 2
    out=$(wine "$EXE" calls list --all --json 2>&1 | tr -d '\r')
    if grep -q '2450034\|2-45-0034' <<<"$out"; then ok "the window logged the call"; else bad "no call logged: $(head -c 300 <<<"$out")"; fi
    mkdir -p "$WINEPREFIX/drive_c/用户/接警员/桌面"
    wine "$EXE" calls export 'C:\用户\接警员\桌面\交班 报表.csv' --all >/dev/null 2>&1 || true
    CSV="$WINEPREFIX/drive_c/用户/接警员/桌面/交班 报表.csv"
    if [ -s "$CSV" ] && grep -q '2-45-0034\|2450034' "$CSV"; then ok "calls export to C:\\用户\\接警员\\桌面\\交班 报表.csv"; else bad "calls export"; fi

    echo "== a data package swap while the window and a second process read (Windows file locking) =="
    package_swap
else
    bad "no window appeared: $(tail -20 "$WORK/gui.log")"
fi
wineserver -k 2>/dev/null || true
wait $GUI_PID 2>/dev/null || true

rm -f "$APP/bcryptprimitives.dll"
after=$(cd "$APP" && find . | sort | md5sum)
if [ "$before" = "$after" ]; then ok "nothing was written into the program folder"; else bad "the program folder changed"; fi

[ "$KNOWN" = 0 ] || echo "wine: $KNOWN known gap(s) seen, marked KNOWN above"
summary wine
