#!/usr/bin/env bash
# Time from process start to the first frame ready for typing (index loaded, code box
# focused), on the demo data (or the reference database DB), in a real window. Runs the release
# build N times (default 20) under the current $DISPLAY, or under a private Xvfb when there is
# none, and prints each run and the median.
#
#   scripts/startup.sh [N] [DB]
#
# DB (e.g. a million poles: `lamppost --db DB init --empty` then `lamppost --db DB import
# target/speed/p1m.csv`, the file `synth_csv 1000000` writes) is only read; its persisted index
# beside it is written on the first run when missing, so that run is shown but left out of
# the median. LAMPPOST_BIN names another executable than target/release/lamppost (no build).
#
# The time is measured inside the process from the first line of main() (LAMPPOST_STARTUP_PROBE);
# the loader and dynamic linking before main() are measured from outside, as the whole run's
# wall time, and shown beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20}"
db="${2:-}"
if [ -n "${LAMPPOST_BIN:-}" ]; then
  bin=$LAMPPOST_BIN
else
  cargo build --release --quiet
  bin=target/release/lamppost
fi
work="$(mktemp -d)"
XVFB_PID=
trap 'rm -rf "$work"; [ -z "$XVFB_PID" ] || kill "$XVFB_PID" 2>/dev/null || true' EXIT
if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null && command -v xdpyinfo >/dev/null ||
    { echo "needs Xvfb and xdpyinfo (apt-get install xvfb x11-utils) or a DISPLAY" >&2; exit 2; }
  # shellcheck source=scripts/lib.sh
  . scripts/lib.sh
  start_xvfb 77 90
fi
export HOME="$work/home"   # fresh settings: the first run of a new operator
if [ -z "$db" ]; then
  db=$work/demo.sqlite
  "$bin" --db "$db" init >/dev/null
fi
# One run first, not counted: it writes the index when the database has none yet.
first=$(LAMPPOST_STARTUP_PROBE=1 "$bin" --db "$db" --calls "$work/calls.sqlite" 2>"$work/stderr") ||
  { cat "$work/stderr" >&2; echo "the first run failed (a build without the window?)" >&2; exit 1; }
echo "first run (not counted): first ready frame $(sed -n 's/^startup_ms=//p' <<<"$first") ms after main()"
inside=()
outside=()
for i in $(seq "$n"); do
  t0=$(date +%s%N)
  out=$(LAMPPOST_STARTUP_PROBE=1 "$bin" --db "$db" --calls "$work/calls.sqlite" 2>/dev/null)
  t1=$(date +%s%N)
  ms=$(sed -n 's/^startup_ms=//p' <<<"$out")
  [ -n "$ms" ] || { echo "run $i: no startup_ms printed" >&2; exit 1; }
  inside+=("$ms")
  outside+=("$(( (t1 - t0) / 1000000 ))")
  echo "run $i: first ready frame ${ms} ms after main(); whole run (exec to exit) ${outside[-1]} ms"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median over $n runs: first ready frame $(median "${inside[@]}") ms after main(); whole run $(median "${outside[@]}") ms"
