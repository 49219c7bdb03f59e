#!/usr/bin/env bash
# The lookup benchmark (issue 4): how fast `nguon serve` answers a scanned label next to nginx
# serving the very same HTML as a static file on the same machine.
#
# It builds the release binaries, loads (once) a SQLite database of ≥ 100,000 lots and
# ≥ 1,000,000 signed labels through the Store API (crates/nguon/examples/lookup_load.rs), starts
# `nguon serve` on it with scan counting on (the default: every GET of a label counts as a scan),
# saves that label's page with curl into a temporary nginx root, starts nginx on it, and runs the
# same `wrk` against both with the same URL. It prints req/s, the ratio, p50/p99 and the page's
# size, and PASS/FAIL against the goals: ≥ 0.5× nginx, p99 ≤ 20 ms at 64 connections, ≤ 30 KB
# transferred.
#
# Usage: bench/lookup.sh            (from anywhere; needs nginx and wrk, installed with apt-get
#                                    when missing and run as root)
# Knobs (environment):
#   NGUON_BENCH_DIR     where the loaded database is kept and reused (default target/lookup-bench
#                       under CARGO_TARGET_DIR or the workspace); delete it to load again
#   LOOKUP_HARVESTS     harvest lots to load (default 50000: 150,000 lots, 1,000,000 labels)
#   LOOKUP_ROUTE        page (the label page /01/{gtin}/10/{lot}/21/{serial}?d=, default) or json
#                       (/api/v1/labels/{serial}?d=); `page` falls back to json while the page
#                       answers 404
#   LOOKUP_SPREAD=N     scan N different labels in turn (a wrk Lua script) instead of one; the
#                       server keeps at most 20,000 resolved labels in memory, so 100000 measures
#                       lookups that mostly miss that cache
#   LOOKUP_CONNECTIONS (64), LOOKUP_THREADS (2), LOOKUP_DURATION (20s), LOOKUP_WARMUP (3s)
#   LOOKUP_NO_BUILD=1   use the binaries already built
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DATA=${NGUON_BENCH_DIR:-$TARGET/lookup-bench}
HARVESTS=${LOOKUP_HARVESTS:-50000}
ROUTE=${LOOKUP_ROUTE:-page}
CONNECTIONS=${LOOKUP_CONNECTIONS:-64}
THREADS=${LOOKUP_THREADS:-2}
DURATION=${LOOKUP_DURATION:-20s}
WARMUP=${LOOKUP_WARMUP:-3s}
GOAL_RATIO=0.5
GOAL_P99_MS=20
GOAL_PAGE_BYTES=30720

# shellcheck source=bench/wrk-summary.sh
source "$(dirname "${BASH_SOURCE[0]}")/wrk-summary.sh"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- tools ---------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
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
NGUON=$TARGET/release/nguon
LOADER=$TARGET/release/examples/lookup_load
[ -x "$NGUON" ] && [ -x "$LOADER" ] || die "no release binaries under $TARGET/release (set CARGO_TARGET_DIR?)"

if [ -f "$DATA/lookup.json" ] && [ -f "$DATA/lookup.db" ]; then
    say "reusing the loaded database in $DATA"
else
    say "loading $HARVESTS harvests into $DATA (kept for later runs)"
fi
# Does nothing (beyond migrating) when the database there is complete; starts over when not.
"$LOADER" --dir "$DATA" --harvests "$HARVESTS"
LABEL_URL=$(head -n1 "$DATA/label-url.txt")
# http://host:port/01/…?d=… → /01/…?d=…
LABEL_PATH=/${LABEL_URL#*://*/}

# --- processes, cleaned up on exit ---------------------------------------------------------------
WORK=$(mktemp -d)
chmod 755 "$WORK"
NGUON_PID=
NGINX_PID=
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    # SIGINT is nguon's graceful shutdown: it writes the scans counted since the last flush.
    [ -n "$NGUON_PID" ] && kill -INT "$NGUON_PID" 2>/dev/null && wait "$NGUON_PID" 2>/dev/null
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
    for _ in $(seq 200); do
        curl -fso /dev/null "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

NGUON_PORT=$(free_port)
NGUON_BASE=http://127.0.0.1:$NGUON_PORT
say "starting nguon serve on $NGUON_BASE"
NGUON_PUBLIC_URL=$NGUON_BASE NGUON_LOG=${NGUON_LOG:-warn} \
    "$NGUON" --config "$WORK/none.toml" --database "$DATA/lookup.db" serve --bind "127.0.0.1:$NGUON_PORT" \
    >"$WORK/nguon.log" 2>&1 &
NGUON_PID=$!
wait_for "$NGUON_BASE/healthz" "$NGUON_PID" || { cat "$WORK/nguon.log" >&2; die "nguon serve did not start"; }

# The label page, or the JSON route while the page is not there yet.
serial=${LABEL_PATH##*/21/}
digest=${serial#*\?d=}
serial=${serial%%\?*}
json_path="/api/v1/labels/$serial?d=$digest"
scan_count() { curl -fsS "$NGUON_BASE$json_path" | sed -n 's/.*"scan_count":\([0-9]*\).*/\1/p'; }
scans_before=$(scan_count)
case $ROUTE in
    page)
        status=$(curl -s -o /dev/null -w '%{http_code}' "$NGUON_BASE$LABEL_PATH")
        if [ "$status" = 200 ]; then
            path=$LABEL_PATH
        else
            echo "note: the label page $LABEL_PATH answers $status; measuring the JSON route instead" >&2
            ROUTE=json
            path=$json_path
        fi
        ;;
    json) path=$json_path ;;
    *) die "LOOKUP_ROUTE must be page or json" ;;
esac

mkdir -p "$WORK/root"
curl -fsS -D "$WORK/headers" -o "$WORK/root/label.html" "$NGUON_BASE$path"
content_type=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n1)
plain_bytes=$(wc -c <"$WORK/root/label.html")
gzip_bytes=$(gzip -6 -c "$WORK/root/label.html" | wc -c)
# What the server itself sends to a browser that accepts gzip (the same as plain when it does
# not compress).
sent_bytes=$(curl -fsS -H 'Accept-Encoding: gzip, br' -o /dev/null -w '%{size_download}' "$NGUON_BASE$path")
chmod -R a+rX "$WORK/root"

# --- nginx with the same bytes at the same URL ---------------------------------------------------
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
        # Every label URL answers with the saved page, so wrk asks both servers the same path.
        location / { try_files /label.html =404; }
    }
}
EOF
say "starting nginx on 127.0.0.1:$NGINX_PORT ($(nproc) cores, worker_processes auto)"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
wait_for "http://127.0.0.1:$NGINX_PORT$path" "$NGINX_PID" || {
    cat "$WORK/nginx/logs/"* >&2
    die "nginx did not start"
}
cmp -s "$WORK/root/label.html" <(curl -fsS "http://127.0.0.1:$NGINX_PORT$path") || die "nginx serves other bytes"

# --- wrk ----------------------------------------------------------------------------------------
lua=()
SPREAD=${LOOKUP_SPREAD:-0}
if [ "$SPREAD" -gt 1 ]; then
    # The same labels for both servers, in turn (nginx answers each with the saved page), taken
    # evenly from one label per child lot.
    total=$(wc -l <"$DATA/urls.txt")
    step=$(( total / SPREAD > 1 ? total / SPREAD : 1 ))
    awk -v step="$step" -v n="$SPREAD" '(NR - 1) % step == 0 && c < n { print; c++ }' "$DATA/urls.txt" |
        sed 's|^[a-z]*://[^/]*||' >"$WORK/paths.txt"
    if [ "$ROUTE" = json ]; then
        sed -i -E 's|.*/21/([^?]*)\?d=(.*)|/api/v1/labels/\1?d=\2|' "$WORK/paths.txt"
    fi
    cat >"$WORK/spread.lua" <<EOF
local paths = {}
for line in io.lines("$WORK/paths.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
EOF
    lua=(-s "$WORK/spread.lua")
fi

# Prints "req/s p50_ms p99_ms non2xx errors" for one wrk run.
measure() { # name, url
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${lua[@]}" "$2" >"$WORK/wrk-$1-warmup.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${lua[@]}" "$2" >"$WORK/wrk-$1.txt"
    wrk_summary "$WORK/wrk-$1.txt"
}

say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency: nguon ($path)"
read -r n_rps n_p50 n_p99 n_bad n_err < <(measure nguon "$NGUON_BASE$path")
say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency: nginx"
read -r x_rps x_p50 x_p99 x_bad x_err < <(measure nginx "http://127.0.0.1:$NGINX_PORT$path")

verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }
ratio=$(awk "BEGIN { printf \"%.3f\", $n_rps / $x_rps }")
# Every GET of the label since scans_before counts once: wrk's (the warm-up's too), the curls of
# the page (three for the page, two for the JSON route) and the last scan_count. wrk does not
# count requests still in flight when it stops, so the server may have counted up to one per
# connection and wrk run more.
extra=$([ "$ROUTE" = page ] && echo 4 || echo 3)
sent=$(awk -v extra="$extra" '/requests in/ { n += $1 } END { print n + extra }' "$WORK"/wrk-nguon-warmup.txt "$WORK"/wrk-nguon.txt)
scans=$(( $(scan_count) - scans_before ))

cat <<EOF

Lookup benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n1))
database: $DATA/lookup.db ($(du -h "$DATA/lookup.db" | cut -f1)), $(sed -n 's/.*"lots": \([0-9]*\).*/\1/p' "$DATA/lookup.json") lots, $(sed -n 's/.*"labels": \([0-9]*\).*/\1/p' "$DATA/lookup.json") labels
route: $ROUTE  $path$([ "$SPREAD" -gt 1 ] && echo "  (spread over $(wc -l <"$WORK/paths.txt") labels in turn)")
page: $plain_bytes bytes plain, $gzip_bytes bytes gzip -6, $sent_bytes bytes sent by nguon to a gzip-accepting client ($content_type)
wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a $WARMUP warm-up), scan counting on
$([ "$SPREAD" -gt 1 ] || echo "scans: the server counted $scans for this label; this run sent $sent (each of the two wrk runs leaves ≤ $CONNECTIONS uncounted in flight)")

| server | req/s | p50 ms | p99 ms | non-2xx | socket errors |
|---|---:|---:|---:|---:|---|
| nguon | $n_rps | $n_p50 | $n_p99 | $n_bad | $n_err |
| nginx (static copy) | $x_rps | $x_p50 | $x_p99 | $x_bad | $x_err |

ratio nguon / nginx: $ratio   goal ≥ $GOAL_RATIO: $(verdict "$ratio >= $GOAL_RATIO")
nguon p99: $n_p99 ms   goal ≤ $GOAL_P99_MS ms: $(verdict "$n_p99 <= $GOAL_P99_MS")
page transferred: $sent_bytes bytes   goal ≤ $GOAL_PAGE_BYTES: $(verdict "$sent_bytes <= $GOAL_PAGE_BYTES")
nguon answered only 2xx: $(verdict "$n_bad == 0")
EOF
