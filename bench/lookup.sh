#!/usr/bin/env bash
# The scan benchmark (issues 4 and 15): how fast `nguon serve` answers scanned labels — one hot
# label; a first pass over 100,000 labels of as many batches, each scanned once, with no label
# page kept anywhere (every answer renders its lot's page); random labels across those batches
# once their pages are kept in the database (not in memory: 100,000 pages do not fit in its
# 48 MB); random labels within one 10,000-label batch; and a never-seen label alone — next to
# nginx serving the same page bytes for every address, in the same run. Prints req/s, p50, p99,
# the server's resident memory after each run, and PASS/FAIL against the goals.
#
# It builds the release binaries, loads (once) a database of 150,000 lots and 1,000,000 signed
# labels through the Store API (crates/nguon/examples/lookup_load.rs), issues one batch of
# 10,000 labels on one lot (once), keeps the verified checks and every lot's public record
# (`nguon verify --keep-checks` with the seal secret the server gets, as after an upgrade,
# timed), starts `nguon serve` on it and runs wrk with a Lua script that picks a random address
# from a list for every request. "first" measures a never-seen label on a fresh server twice:
# with no kept record it can trust (another seal secret: the lot is built from its events) and
# with the lot's record kept.
#
# Usage: bench/lookup.sh            (needs nginx, wrk, sqlite3 and curl; installed with apt-get
#                                    when missing and run as root)
# Knobs (environment):
#   NGUON_BENCH_DIR     where the loaded database and the URL lists are kept (default
#                       target/lookup-bench under CARGO_TARGET_DIR or the workspace)
#   NGUON_DATABASE_URL  postgres://… to measure PostgreSQL: the loader fills it (it must be an
#                       empty database the first time); lists and marker stay in NGUON_BENCH_DIR
#   LOOKUP_HARVESTS     harvest lots to load (default 50000: 150,000 lots, 1,000,000 labels)
#   LOOKUP_SPREAD       distinct labels in the "many batches" lists (default 100000)
#   LOOKUP_SCENARIOS    which runs, space-separated (default "hot cold many batches one first";
#                       "cold" empties the kept label pages and restarts the server first)
#   LOOKUP_CONNECTIONS (64), LOOKUP_THREADS (2), LOOKUP_DURATION (15s), LOOKUP_WARMUP (3s),
#   LOOKUP_COLD_DURATION (5s: the first pass must not reach the end of its list), then the
#   whole list once more unmeasured for LOOKUP_PRIME_DURATION (40s), so every page is kept
#   LOOKUP_NO_BUILD=1   use the binaries already built;  NGUON_BIN=path  another nguon binary
#                       (e.g. an older build, for before/after figures)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DATA=${NGUON_BENCH_DIR:-$TARGET/lookup-bench}
HARVESTS=${LOOKUP_HARVESTS:-50000}
SPREAD=${LOOKUP_SPREAD:-100000}
SCENARIOS=${LOOKUP_SCENARIOS:-hot cold many batches one first}
CONNECTIONS=${LOOKUP_CONNECTIONS:-64}
THREADS=${LOOKUP_THREADS:-2}
DURATION=${LOOKUP_DURATION:-15s}
WARMUP=${LOOKUP_WARMUP:-3s}
COLD_DURATION=${LOOKUP_COLD_DURATION:-5s}
DB_URL=${NGUON_DATABASE_URL:-}
GOAL_RPS=20000
GOAL_RATIO=0.2
GOAL_P99_MS=20
GOAL_RSS_MB=200
GOAL_FIRST_P50_MS=5
[ -n "$DB_URL" ] && GOAL_RPS=5000

# shellcheck source=bench/wrk-summary.sh
source "$(dirname "${BASH_SOURCE[0]}")/wrk-summary.sh"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run 'apt-get install ${missing[*]}' as root"
    say "installing ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# --- build and load ------------------------------------------------------------------------------
if [ "${LOOKUP_NO_BUILD:-}" != 1 ]; then
    say "building (release)"
    (cd "$ROOT" && cargo build --release -p nguon --bins --examples)
fi
NGUON=${NGUON_BIN:-$TARGET/release/nguon}
LOADER=$TARGET/release/examples/lookup_load
[ -x "$NGUON" ] && [ -x "$LOADER" ] || die "no release binaries under $TARGET/release (set CARGO_TARGET_DIR?)"
mkdir -p "$DATA"
if [ -n "$DB_URL" ]; then
    DATABASE=$DB_URL
    loader_db=(--database "$DB_URL")
else
    DATABASE=$DATA/lookup.db
    loader_db=()
fi
say "loading $HARVESTS harvests into $DATABASE once (kept for later runs)"
"$LOADER" --dir "$DATA" --harvests "$HARVESTS" "${loader_db[@]}"
# The secret that seals the lots' public records kept in the database, as a deployment sets it.
SEAL=${NGUON_SEAL_SECRET:-lookup bench seal}
nguon_cli() { NGUON_SEAL_SECRET=$SEAL NGUON_LOG=warn "$NGUON" --config "$DATA/none.toml" --database "$DATABASE" "$@"; }
sql() { # one query's rows, from the benchmark's database
    if [ -n "$DB_URL" ]; then psql -At "$DB_URL" -c "$1"; else sqlite3 "$DATABASE" "$1"; fi
}

# One batch of 10,000 labels (10 g each) on one packed lot, issued once.
if [ ! -s "$DATA/one-batch.txt" ]; then
    lot=$(sql "SELECT code FROM lots WHERE code LIKE '%-A' ORDER BY id LIMIT 1")
    say "issuing one batch of 10,000 labels on lot $lot"
    nguon_cli labels issue --coop 1 --lot "$lot" --count 10000 --pack-size "10 g" --json "$DATA/one-batch.json" >/dev/null
    batch=$(sed -n 's/.*"batch_id": *"\([^"]*\)".*/\1/p' "$DATA/one-batch.json" | head -n1)
    sql "SELECT url FROM labels WHERE batch_id = '$batch' ORDER BY position" | sed 's|^[a-z]*://[^/]*||' >"$DATA/one-batch.txt"
fi
# Random labels across many batches: one label of each of $SPREAD batches, and every label of
# $SPREAD/10 batches.
if [ ! -s "$DATA/many.txt" ] || [ "$(wc -l <"$DATA/many.txt")" -ne "$SPREAD" ]; then
    sed 's|^[a-z]*://[^/]*||' "$DATA/urls.txt" | head -n "$SPREAD" >"$DATA/many.txt"
    sql "SELECT l.url FROM labels l JOIN (SELECT id FROM label_batches WHERE count = 10 ORDER BY id LIMIT $((SPREAD / 10))) b ON b.id = l.batch_id" |
        sed 's|^[a-z]*://[^/]*||' >"$DATA/batches.txt"
fi
[ "$(wc -l <"$DATA/many.txt")" -ge 100000 ] || echo "note: only $(wc -l <"$DATA/many.txt") distinct labels in the random list (goal ≥ 100,000)" >&2

# Keep what is verified, as after an upgrade (the server's background pass does the same).
if "$NGUON" --help 2>/dev/null | grep -q verify && nguon_cli verify --help 2>/dev/null | grep -q keep-checks; then
    say "nguon verify --keep-checks"
    start=$(date +%s.%N)
    nguon_cli verify --keep-checks >"$DATA/verify.txt" || { cat "$DATA/verify.txt" >&2; die "verify found alterations"; }
    verify_s=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    echo "verify --keep-checks: $verify_s s ($(tail -n1 "$DATA/verify.txt"))" >&2
else
    verify_s="(this build keeps no checks)"
fi

# --- processes, cleaned up on exit ---------------------------------------------------------------
WORK=$(mktemp -d)
chmod 755 "$WORK"
NGUON_PID=
NGINX_PID=
stop_nguon() {
    # SIGINT is nguon's graceful shutdown: it writes the scans counted since the last flush.
    [ -n "$NGUON_PID" ] && kill -INT "$NGUON_PID" 2>/dev/null && wait "$NGUON_PID" 2>/dev/null
    NGUON_PID=
}
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    stop_nguon
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

wait_for() { # url, pid
    for _ in $(seq 300); do
        curl -fso /dev/null "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

NGUON_PORT=$(free_port)
NGUON_BASE=http://127.0.0.1:$NGUON_PORT
start_nguon() { # [seal secret]
    NGUON_SEAL_SECRET=${1:-$SEAL} NGUON_PUBLIC_URL=$NGUON_BASE NGUON_LOG=${NGUON_LOG:-warn} \
        "$NGUON" --config "$WORK/none.toml" --database "$DATABASE" serve --bind "127.0.0.1:$NGUON_PORT" \
        >>"$WORK/nguon.log" 2>&1 &
    NGUON_PID=$!
    wait_for "$NGUON_BASE/healthz" "$NGUON_PID" || { cat "$WORK/nguon.log" >&2; die "nguon serve did not start"; }
}
rss_mb() { ps -o rss= -p "$NGUON_PID" | awk '{ printf "%.0f", $1 / 1024 }'; }

say "starting nguon serve on $NGUON_BASE"
start_nguon

# --- nginx with the same bytes at every address --------------------------------------------------
HOT=$(head -n $(( $(wc -l <"$DATA/many.txt") / 2 )) "$DATA/many.txt" | tail -n1)
mkdir -p "$WORK/root"
curl -fsS -D "$WORK/headers" -o "$WORK/root/label.html" "$NGUON_BASE$HOT"
content_type=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n1)
plain_bytes=$(wc -c <"$WORK/root/label.html")
sent_bytes=$(curl -fsS -H 'Accept-Encoding: gzip, br' -o /dev/null -w '%{size_download}' "$NGUON_BASE$HOT")
chmod -R a+rX "$WORK/root"
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    types { }
    default_type "$content_type";
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/root;
        location / { try_files /label.html =404; }
    }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
wait_for "http://127.0.0.1:$NGINX_PORT$HOT" "$NGINX_PID" || { cat "$WORK/nginx/logs/"* >&2; die "nginx did not start"; }

# --- wrk ----------------------------------------------------------------------------------------
# A Lua script that picks a random address from $1 for every request (each wrk thread reads the
# list and seeds its own generator).
random_script() {
    cat >"$WORK/random-$2.lua" <<EOF
local paths = {}
function init(args)
    for line in io.lines("$1") do paths[#paths + 1] = line end
    math.randomseed(os.time() + math.floor(os.clock() * 1000000) + #tostring({}))
end
request = function()
    return wrk.format("GET", paths[math.random(#paths)])
end
EOF
    echo "$WORK/random-$2.lua"
}

# A Lua script that walks $1 once, each wrk thread taking every $THREADS-th address from its own
# start, and stops when the list is done: every address asked for once.
pass_script() {
    cat >"$WORK/pass-$2.lua" <<EOF
local paths = {}
local threads = 0
local i = 0
function setup(thread)
    thread:set("start", threads)
    threads = threads + 1
end
function init(args)
    for line in io.lines("$1") do paths[#paths + 1] = line end
    i = start
end
request = function()
    if i >= #paths then wrk.thread:stop() end
    local path = paths[(i % #paths) + 1]
    i = i + $THREADS
    return wrk.format("GET", path)
end
EOF
    echo "$WORK/pass-$2.lua"
}

# Prints "req/s p50_ms p99_ms non2xx errors" for one pass of wrk over a list (no warm-up), for
# $COLD_DURATION: wrk's run lasts its whole duration even when the script stops its threads, so
# the duration must end before the list does (a warning says when it did not: then req/s is
# understated, never overstated).
measure_pass() { # name, base url, connections, lua script, list
    wrk -t"$THREADS" -c"$3" -d"$COLD_DURATION" --latency -s "$4" "$2$HOT" >"$WORK/wrk-$1.txt"
    local asked
    asked=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wrk-$1.txt")
    if [ "${asked:-0}" -ge "$(wc -l <"$5")" ]; then
        echo "note: $1 reached the end of its list ($asked requests): its req/s is understated" >&2
    fi
    wrk_summary "$WORK/wrk-$1.txt"
}

# Prints "req/s p50_ms p99_ms non2xx errors" for one wrk run.
measure() { # name, base url, connections, duration, [lua script]
    local lua=()
    [ -n "${5:-}" ] && lua=(-s "$5")
    wrk -t"$THREADS" -c"$3" -d"$WARMUP" "${lua[@]}" "$2$HOT" >"$WORK/wrk-$1-warmup.txt"
    wrk -t"$THREADS" -c"$3" -d"$4" --latency "${lua[@]}" "$2$HOT" >"$WORK/wrk-$1.txt"
    wrk_summary "$WORK/wrk-$1.txt"
}

verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
rows=()
for scenario in $SCENARIOS; do
    case $scenario in
        hot) list=""; what="one label, every request" ;;
        cold) list=$WORK/cold.txt; what="first pass: each of $(wc -l <"$DATA/many.txt") labels of as many batches once, no page kept" ;;
        many) list=$DATA/many.txt; what="random labels, one of each of $(wc -l <"$DATA/many.txt") batches (after cold: pages kept in the database)" ;;
        batches) list=$DATA/batches.txt; what="random labels, all of $(( $(wc -l <"$DATA/batches.txt") / 10 )) batches" ;;
        one) list=$DATA/one-batch.txt; what="random labels within one batch of $(wc -l <"$DATA/one-batch.txt")" ;;
        first) continue ;;
        *) die "unknown scenario $scenario" ;;
    esac
    say "$scenario: $what"
    if [ "$scenario" = cold ]; then
        # Nothing kept but the lots' records: no label page in the database or in memory.
        if [ -n "$(sql "SELECT 1 FROM kept_pages LIMIT 1" 2>/dev/null || true)" ]; then
            sql "DELETE FROM kept_pages" >/dev/null
        fi
        stop_nguon
        start_nguon
        shuf "$DATA/many.txt" >"$list"
        script=$(pass_script "$list" "$scenario")
        read -r n_rps n_p50 n_p99 n_bad n_err < <(measure_pass "nguon-$scenario" "$NGUON_BASE" "$CONNECTIONS" "$script" "$list")
        rss=$(rss_mb)
        # nginx answers every address with the same bytes: random addresses for the usual time.
        read -r x_rps x_p50 x_p99 _ _ < <(measure "nginx-$scenario" "http://127.0.0.1:$NGINX_PORT" "$CONNECTIONS" "$DURATION" "$(random_script "$list" "$scenario")")
        # The rest of the list once more, not measured, so that every batch's page is kept before
        # the random runs (as after a day of scans): those then read kept pages, not renders.
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${LOOKUP_PRIME_DURATION:-40s}" -s "$script" "$NGUON_BASE$HOT" >"$WORK/wrk-prime.txt"
        sleep 2
        kept=$(sql "SELECT count(*) FROM kept_pages" 2>/dev/null || echo "none: this build keeps no pages")
        what="$what (label pages kept after it: $kept)"
    else
        script=""
        [ -n "$list" ] && script=$(random_script "$list" "$scenario")
        read -r n_rps n_p50 n_p99 n_bad n_err < <(measure "nguon-$scenario" "$NGUON_BASE" "$CONNECTIONS" "$DURATION" "$script")
        rss=$(rss_mb)
        read -r x_rps x_p50 x_p99 _ _ < <(measure "nginx-$scenario" "http://127.0.0.1:$NGINX_PORT" "$CONNECTIONS" "$DURATION" "$script")
    fi
    ratio=$(awk "BEGIN { printf \"%.3f\", $n_rps / $x_rps }")
    rows+=("| $scenario: $what | $n_rps | $n_p50 | $n_p99 | $rss | $x_rps | $x_p50 / $x_p99 | $ratio | $n_bad / $n_err |")
    eval "rps_$scenario=$n_rps p99_$scenario=$n_p99 ratio_$scenario=$ratio rss_$scenario=$rss"
done

first_line="(not run)"
if [[ " $SCENARIOS " == *" first "* ]]; then
    # A never-seen label alone: a fresh server, one connection, every request a label it has
    # not read before (the list's second half, unread by the runs above only if they were short;
    # the server restart empties every cache).
    # Twice: with another seal secret, so no kept public record is trusted and every lot is
    # built from its events (a lot never scanned before), then with the deployment's secret
    # (a label never scanned on this server, its lot's record kept in the database, and its
    # batch's label page when a run above kept it).
    say "first scans of never-seen labels, one connection, fresh server, no kept records"
    stop_nguon
    start_nguon "another secret"
    tail -n 20000 "$DATA/many.txt" | shuf >"$WORK/unseen.txt"
    cat >"$WORK/unseen.lua" <<EOF
local paths = {}
local i = 0
function init(args)
    for line in io.lines("$WORK/unseen.txt") do paths[#paths + 1] = line end
end
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
EOF
    wrk -t1 -c1 -d5s --latency -s "$WORK/unseen.lua" "$NGUON_BASE$HOT" >"$WORK/wrk-first.txt"
    read -r f_rps f_p50 f_p99 _ _ < <(wrk_summary "$WORK/wrk-first.txt")
    first_line="first scan of a never-seen label, alone, lot built from its events: p50 $f_p50 ms, p99 $f_p99 ms ($f_rps req/s)   goal p50 ≤ $GOAL_FIRST_P50_MS ms: $(verdict "$f_p50 <= $GOAL_FIRST_P50_MS")"
    say "first scans of never-seen labels, one connection, fresh server, kept records"
    stop_nguon
    start_nguon
    head -n 20000 "$DATA/many.txt" | shuf >"$WORK/unseen.txt"
    wrk -t1 -c1 -d5s --latency -s "$WORK/unseen.lua" "$NGUON_BASE$HOT" >"$WORK/wrk-kept.txt"
    read -r k_rps k_p50 k_p99 _ _ < <(wrk_summary "$WORK/wrk-kept.txt")
    first_line="$first_line
first scan of a never-seen label, alone, fresh server, lot's record (and, after the runs above, its label page) kept: p50 $k_p50 ms, p99 $k_p99 ms ($k_rps req/s)"
fi

backend=SQLite; [ -n "$DB_URL" ] && backend=PostgreSQL
cat <<EOF

Scan benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1)), $backend
database: $DATABASE, $(sed -n 's/.*"lots": \([0-9]*\).*/\1/p' "$DATA/lookup.json") lots, $(sed -n 's/.*"labels": \([0-9]*\).*/\1/p' "$DATA/lookup.json") labels + one batch of $(wc -l <"$DATA/one-batch.txt")
binary: $NGUON; verify --keep-checks: $verify_s
page: $plain_bytes bytes plain, $sent_bytes bytes sent to a gzip-accepting client ($content_type)
wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), a random address per request (Lua)

| run | nguon req/s | p50 ms | p99 ms | RSS after (MB) | nginx req/s | nginx p50 / p99 ms | ratio | non-2xx / errors |
|---|---:|---:|---:|---:|---:|---:|---:|---|
$(printf '%s\n' "${rows[@]}")

$first_line
EOF
if [ -n "${rps_cold:-}" ]; then
    echo "first pass, no page kept (every answer renders its lot's page): $rps_cold req/s, ratio $ratio_cold, p99 $p99_cold ms   goal ≥ $GOAL_RPS: $(verdict "$rps_cold >= $GOAL_RPS")"
fi
if [ -n "${rps_many:-}" ]; then
    echo "random labels (many batches): $rps_many req/s   goal ≥ $GOAL_RPS: $(verdict "$rps_many >= $GOAL_RPS");  ratio $ratio_many   goal ≥ $GOAL_RATIO: $(verdict "$ratio_many >= $GOAL_RATIO");  p99 $p99_many ms   goal ≤ $GOAL_P99_MS: $(verdict "$p99_many <= $GOAL_P99_MS")"
fi
if [ -n "${rps_one:-}" ] && [ -n "${rps_many:-}" ]; then
    echo "within one batch: $rps_one req/s vs many batches $rps_many   goal no slower (≥ 0.9×, run-to-run spread): $(verdict "$rps_one >= 0.9 * $rps_many")"
fi
last_rss=$(rss_mb)
echo "server RSS at the end: $last_rss MB   goal ≤ $GOAL_RSS_MB MB: $(verdict "$last_rss <= $GOAL_RSS_MB")"
