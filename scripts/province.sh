#!/usr/bin/env bash
# The PostgreSQL + PostGIS master at province size (docs/SCALE.md, "The master at province
# size"): a throw-away cluster, N datasets of M synthetic poles each taken in, then one push of
# a changed file into one dataset, its full and incremental packages installed on workstations
# at the previous version, and a supervisor's pull. Prints each step's wall time, peak memory
# and the sizes as a table (also written to the work folder as results.tsv and table.md).
#
#   scripts/province.sh [--no-build]
#
# Sizes (environment):
#   PROVINCE_DATASETS=20     datasets (a city, a centre each)
#   PROVINCE_POLES=50000     poles per dataset (synth_csv, seed 1, 2, ... one per dataset)
#   PROVINCE_PUSH=10000      rows of the pushed file (every k-th pole of the first dataset,
#                            its note changed; at most PROVINCE_POLES)
#   PROVINCE_KEEP=1          keep the work folder (and print where it is)
#   PROVINCE_PG_BIN=DIR      PostgreSQL's bin folder (default: the newest /usr/lib/postgresql/N/bin)
#   PROVINCE_PG_OPTS="..."   extra server options, e.g. "-c shared_buffers=1GB" (default:
#                            the server's defaults, fsync on)
# A quick check: PROVINCE_DATASETS=4 PROVINCE_POLES=5000 scripts/province.sh
#
# --no-build uses target/release/{lamppost,synth_csv} as they are; otherwise they are built
# first, once (release, command line only: the master needs no window).
#
# Needs PostgreSQL with PostGIS (Debian: postgresql postgresql-postgis; .ci/run installs them),
# psql and /usr/bin/time. The cluster lives in target/tmp/province.XXXXXX on 127.0.0.1 at a
# free port, its socket in that folder, trust authentication, run as `nobody` when this runs as
# root (initdb refuses root); it is stopped and the folder removed on exit. Nothing else is
# touched: the generated data never leaves target/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

BUILD=1
for a in "$@"; do
    case "$a" in
        --no-build) BUILD=0 ;;
        -h | --help)
            sed -n '2,28p' "$0"
            exit 0
            ;;
        *)
            echo "unknown argument: $a" >&2
            exit 2
            ;;
    esac
done

DATASETS=${PROVINCE_DATASETS:-20}
POLES=${PROVINCE_POLES:-50000}
PUSH=${PROVINCE_PUSH:-10000}
[ "$PUSH" -le "$POLES" ] || PUSH=$POLES
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

command -v /usr/bin/time >/dev/null || {
    echo "needs /usr/bin/time (apt-get install time)" >&2
    exit 2
}

# ---- the binaries ----------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
    echo "== cargo build --release (lamppost, synth_csv) =="
    cargo build --release --locked --no-default-features -p lamppost -p lamppost-demo-data
fi
BIN=$TARGET_DIR/release/lamppost
SYNTH=$TARGET_DIR/release/synth_csv
for b in "$BIN" "$SYNTH"; do
    [ -x "$b" ] || {
        echo "missing $b (run without --no-build)" >&2
        exit 2
    }
done

# ---- PostgreSQL + PostGIS ---------------------------------------------------------------
PGBIN=${PROVINCE_PG_BIN:-}
if [ -z "$PGBIN" ]; then
    PGBIN=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null |
        sort -V | tail -1 | xargs -r dirname)
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "no PostgreSQL server here (apt-get install postgresql postgresql-postgis)" >&2
    exit 2
fi
[ -f "$("$PGBIN/pg_config" --sharedir)/extension/postgis.control" ] || {
    echo "PostGIS is not installed for $PGBIN (apt-get install postgresql-postgis)" >&2
    exit 2
}

mkdir -p "$TARGET_DIR/tmp"
WORK=$(mktemp -d "$TARGET_DIR/tmp/province.XXXXXX")
chmod 755 "$WORK"
PGDIR=$WORK/pg
mkdir -p "$PGDIR" "$WORK/logs" "$WORK/data" "$WORK/pkg"
AS_NOBODY=0
if [ "$(id -u)" = 0 ]; then
    AS_NOBODY=1
    chown nobody "$PGDIR"
fi

# as_pg COMMAND...: runs COMMAND as the server's owner.
as_pg() {
    if [ "$AS_NOBODY" = 1 ]; then
        su nobody -s /bin/bash -c "$(printf '%q ' "$@")"
    else
        "$@"
    fi
}

PG_STARTED=0
cleanup() {
    if [ "$PG_STARTED" = 1 ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    if [ "${PROVINCE_KEEP:-0}" = 1 ]; then
        echo "kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U lamppost --auth=trust -E UTF8 --no-locale \
    >"$WORK/logs/initdb.log" 2>&1
PORT=
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    # A port nothing answers on (the server says so if it was taken meanwhile).
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        PORT=$p
        break
    fi
done
[ -n "$PORT" ] || {
    echo "no free port on 127.0.0.1" >&2
    exit 2
}
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDIR ${PROVINCE_PG_OPTS:-}" start >/dev/null
PG_STARTED=1
URL=postgres://lamppost@127.0.0.1:$PORT/postgres

# sql QUERY: one value (or rows, tab-separated).
sql() {
    "$PGBIN/psql" -X -q -A -t -F $'\t' -h 127.0.0.1 -p "$PORT" -U lamppost -d postgres -c "$1"
}

# ---- timing -------------------------------------------------------------------------------
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# timed NAME COMMAND...: runs COMMAND (its output in logs/NAME.log), appends NAME, wall seconds
# and peak RSS (MB) to results.tsv and sets WALL. Stops the script if COMMAND fails.
timed() {
    local name=$1 wall rss
    shift
    if ! /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >"$WORK/logs/$name.log" 2>&1; then
        echo "FAILED: $name: $*" >&2
        tail -20 "$WORK/logs/$name.log" >&2
        exit 1
    fi
    read -r wall rss <"$WORK/time.txt"
    WALL=$wall
    printf '%s\t%s\t%s\n' "$name" "$wall" "$((rss / 1024))" >>"$RESULTS"
}

size_mb() { stat -c %s "$1" | awk '{ printf "%.2f", $1 / 1e6 }'; }

# Nothing outside the work folder: no default database, call log or settings of this user.
export LAMPPOST_DB=$WORK/data/none.sqlite LAMPPOST_CALLS=$WORK/data/calls.sqlite
export XDG_DATA_HOME=$WORK/xdg XDG_CONFIG_HOME=$WORK/xdg LAMPPOST_OPERATOR=province.sh

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
echo "== province: $DATASETS datasets × $POLES poles, push $PUSH rows; $STARTED, load $LOAD_BEFORE =="
echo "server: $(sql 'SHOW server_version'), $(nproc) CPUs, work folder $WORK"

# ---- the datasets -------------------------------------------------------------------------
KEY=$WORK/centre.key
"$BIN" package keygen --out "$KEY" >"$WORK/logs/keygen.log"
PUBLIC=$(grep -oE '[0-9a-f]{64}' "$WORK/logs/keygen.log" | tail -1)

timed master-init-schema "$BIN" master init --url "$URL"
names=()
prep_total=0
for i in $(seq "$DATASETS"); do
    name=$(printf 'city-%02d' "$i")
    names+=("$name")
    db=$WORK/data/$name.sqlite
    t0=$(date +%s.%N)
    "$SYNTH" "$POLES" "$WORK/data/$name.csv" --seed "$i"
    "$BIN" --db "$db" init --empty >/dev/null
    "$BIN" --db "$db" import "$WORK/data/$name.csv" >"$WORK/logs/import-$name.log" 2>&1
    t1=$(date +%s.%N)
    prep_total=$(awk -v a="$prep_total" -v b="$t0" -v c="$t1" 'BEGIN { printf "%.2f", a + c - b }')
    timed "init-$name" "$BIN" master init --url "$URL" \
        --dataset "$name" --from "$db" --code-format 'district 1 + street 3 + pole 4'
    echo "  $name: taken in, $WALL s"
    # The first dataset stays: the pushed file, the supervisor's and the workstations' base.
    [ "$i" = 1 ] || rm -f "$WORK/data/$name.csv" "$db"
done
DB_SIZE_INIT=$(sql "SELECT pg_database_size(current_database())")
TABLES_INIT=$(sql "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid)
                   FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'lamppost_%'
                   ORDER BY 2 DESC")
timed datasets "$BIN" master datasets --url "$URL"
[ "$(grep -c '^city-' "$WORK/logs/datasets.log")" = "$DATASETS" ] || {
    echo "master datasets does not list $DATASETS datasets" >&2
    exit 1
}

# ---- one push into the first dataset ------------------------------------------------------
D=${names[0]}
SUP=$WORK/data/supervisor.sqlite
cp "$WORK/data/$D.sqlite" "$SUP"
every=$((POLES / PUSH))
awk -F, -v OFS=, -v k="$every" -v n="$PUSH" \
    'NR == 1 { print; next } (NR - 2) % k == 0 && done < n { $NF = "province push"; print; done++ }' \
    "$WORK/data/$D.csv" >"$WORK/data/push.csv"
[ "$(($(wc -l <"$WORK/data/push.csv") - 1))" = "$PUSH" ] || {
    echo "the pushed file does not have $PUSH rows" >&2
    exit 1
}

# The full package of version 1, and two workstations that pinned the key, at version 1.
timed publish-v1 "$BIN" master publish --url "$URL" --dataset "$D" "$WORK/pkg/$D-v1.sqlite" --key "$KEY"
for ws in ws-full ws-incr; do
    "$BIN" --db "$WORK/data/$ws.sqlite" package trust "$PUBLIC" >/dev/null
done
timed install-v1-new "$BIN" --db "$WORK/data/ws-full.sqlite" package install "$WORK/pkg/$D-v1.sqlite"
"$BIN" --db "$WORK/data/ws-incr.sqlite" package install "$WORK/pkg/$D-v1.sqlite" >/dev/null 2>&1

timed push-dry-run "$BIN" master push "$WORK/data/push.csv" --url "$URL" --dataset "$D" --dry-run
timed push "$BIN" master push "$WORK/data/push.csv" --url "$URL" --dataset "$D" --note "province.sh"
grep -q "version 1 → 2" "$WORK/logs/push.log" || {
    echo "the push did not make version 2" >&2
    exit 1
}
DB_SIZE_PUSH=$(sql "SELECT pg_database_size(current_database())")
CHANGED=$(sql "SELECT count(*) FROM lamppost_poles WHERE dataset = '$D' AND note = 'province push'")

timed publish-v2 "$BIN" master publish --url "$URL" --dataset "$D" "$WORK/pkg/$D-v2.sqlite" --key "$KEY"
timed pull "$BIN" --db "$SUP" master pull --url "$URL" --dataset "$D"
grep -q "1 → 2" "$WORK/logs/pull.log" || {
    echo "the pull did not bring the supervisor to version 2" >&2
    exit 1
}
timed pull-again "$BIN" --db "$SUP" master pull --url "$URL" --dataset "$D"
# The incremental package: from the pulled supervisor database, against the full package of
# version 1 in the same folder (master publish writes full packages only).
timed export-incr "$BIN" --db "$SUP" package export "$WORK/pkg/$D-v2-from-v1.changeset" \
    --since 1 --key "$KEY"
timed install-v2-full "$BIN" --db "$WORK/data/ws-full.sqlite" package install "$WORK/pkg/$D-v2.sqlite"
timed install-v2-incr "$BIN" --db "$WORK/data/ws-incr.sqlite" package install \
    "$WORK/pkg/$D-v2-from-v1.changeset"
if grep -q "could not be applied" "$WORK/logs/install-v2-incr.log"; then
    echo "the incremental package fell back to the full one:" >&2
    cat "$WORK/logs/install-v2-incr.log" >&2
    exit 1
fi
for ws in ws-full ws-incr; do
    "$BIN" --db "$WORK/data/$ws.sqlite" export csv "$WORK/data/$ws.csv" >/dev/null
done
cmp -s "$WORK/data/ws-full.csv" "$WORK/data/ws-incr.csv" || {
    echo "the two workstations differ after the full and the incremental install" >&2
    exit 1
}
[ "$(grep -c 'province push' "$WORK/data/ws-incr.csv")" = "$PUSH" ] || {
    echo "the workstation does not hold the $PUSH pushed notes" >&2
    exit 1
}
timed log "$BIN" master log --url "$URL"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ----------------------------------------------------------------------------
field() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$RESULTS"; }
inits=$(awk -F'\t' '$1 ~ /^init-city-/ { print $2 }' "$RESULTS" | sort -n)
init_sum=$(awk '{ s += $1 } END { printf "%.2f", s }' <<<"$inits")
init_min=$(head -1 <<<"$inits")
init_max=$(tail -1 <<<"$inits")
init_med=$(awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }' <<<"$inits")
init_rss=$(awk -F'\t' '$1 ~ /^init-city-/ && $3 > m { m = $3 } END { print m }' "$RESULTS")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
total=$((DATASETS * POLES))
{
    echo "Province: $DATASETS datasets × $POLES poles = $total poles; push of $PUSH rows ($CHANGED poles changed) into $D."
    echo "Started $STARTED; load average before $LOAD_BEFORE, after $LOAD_AFTER; $(nproc) CPUs."
    echo "$(sql 'SELECT version()' | cut -d, -f1); PostGIS $(sql 'SELECT postgis_lib_version()'); release build (command line only)."
    echo
    echo "| step | wall | peak RSS | size |"
    echo "|---|---:|---:|---:|"
    echo "| make the datasets' SQLite files (synth_csv + init --empty + import), all | ${prep_total} s | | |"
    echo "| \`master init\` (schema) | $(field master-init-schema 2) s | $(field master-init-schema 3) MB | |"
    echo "| \`master init --dataset --from\`, all $DATASETS | ${init_sum} s | ${init_rss} MB | master $(mb "$DB_SIZE_INIT") |"
    echo "| … one dataset: min / median / max | $init_min / $init_med / $init_max s | | |"
    echo "| \`master datasets\` | $(field datasets 2) s | $(field datasets 3) MB | |"
    echo "| \`master publish\` v1 (full, signed) | $(field publish-v1 2) s | $(field publish-v1 3) MB | $(size_mb "$WORK/pkg/$D-v1.sqlite") MB |"
    echo "| \`package install\` v1 on a new workstation | $(field install-v1-new 2) s | $(field install-v1-new 3) MB | |"
    echo "| \`master push --dry-run\`, $PUSH rows | $(field push-dry-run 2) s | $(field push-dry-run 3) MB | |"
    echo "| \`master push\`, $PUSH rows | $(field push 2) s | $(field push 3) MB | master $(mb "$DB_SIZE_PUSH") |"
    echo "| \`master publish\` v2 (full, signed) | $(field publish-v2 2) s | $(field publish-v2 3) MB | $(size_mb "$WORK/pkg/$D-v2.sqlite") MB |"
    echo "| \`master pull\` (supervisor, v1 → v2) | $(field pull 2) s | $(field pull 3) MB | |"
    echo "| \`master pull\` again (up to date) | $(field pull-again 2) s | $(field pull-again 3) MB | |"
    echo "| \`package export --since 1\` (incremental, from the pulled database) | $(field export-incr 2) s | $(field export-incr 3) MB | $(size_mb "$WORK/pkg/$D-v2-from-v1.changeset") MB |"
    echo "| \`package install\` v2 full (workstation at v1) | $(field install-v2-full 2) s | $(field install-v2-full 3) MB | |"
    echo "| \`package install\` v2 incremental (workstation at v1) | $(field install-v2-incr 2) s | $(field install-v2-incr 3) MB | |"
    echo "| \`master log\` | $(field log 2) s | $(field log 3) MB | |"
    echo
    echo "Master tables after the push (total with indexes / table alone, MB):"
    sql "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid)
         FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'lamppost_%' ORDER BY 2 DESC" |
        awk -F'\t' '{ printf "  %-24s %9.1f %9.1f\n", $1, $2 / 1e6, $3 / 1e6 }'
    echo "(after the datasets were taken in, before the push:"
    awk -F'\t' '{ printf " %s %.1f", $1, $2 / 1e6 } END { print ")" }' <<<"$TABLES_INIT"
} | tee "$WORK/table.md"
