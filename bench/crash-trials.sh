#!/usr/bin/env bash
# Crash trials: four writers append events to one lot as fast as they can while the server is
# killed with SIGKILL at a random moment; then every event the server acknowledged (201 or 200)
# must be in the database, and `nguon verify` must find every chain intact. Prints one row per
# trial and the totals.
#
# Usage: bench/crash-trials.sh [TRIALS]        (SQLite; default 10 trials)
#        NGUON_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/crash-trials.sh
# Needs curl, python3, sqlite3 (or psql), and the nguon binary (built in release when missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
NGUON=${NGUON_BIN:-$TARGET/release/nguon}
PG=${NGUON_DATABASE_URL:-}
TRIALS=${1:-10}
[ -x "$NGUON" ] || (cd "$ROOT" && cargo build --release -p nguon --bin nguon)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; jobs -p | xargs -r kill 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # db, port
    NGUON_PUBLIC_URL=http://127.0.0.1:$2 NGUON_LOG=warn "$NGUON" --config "$WORK/none.toml" --database "$1" \
        serve --demo --bind "127.0.0.1:$2" >"$WORK/serve.log" 2>&1 &
    PID=$!
    for _ in $(seq 300); do curl -fso /dev/null "http://127.0.0.1:$2/healthz" && return 0; sleep 0.1; done
    cat "$WORK/serve.log" >&2
    return 1
}

writer() { # base, token, file of acknowledged ids
    while true; do
        id=$(python3 -c 'import uuid; print(uuid.uuid4())')
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/api/v1/cooperatives/1/lots/CC-2608-02/events" \
            -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
            -d "{\"id\":\"$id\",\"type\":\"observation\",\"occurred_at\":\"$(date +%Y-%m-%dT%H:%M:%S+07:00 -d '+7 hours' -u)\",\"subject\":\"Kiểm tra đồng\"}" || true)
        case $code in 200|201) echo "$id" >>"$3" ;; 000) return ;; esac
    done
}

lost_total=0
acked_total=0
printf '| trial | backend | acknowledged | lost | verify |\n|---|---|---|---|---|\n'
for trial in $(seq "$TRIALS"); do
    if [ -n "$PG" ]; then
        scratch="nguon_crash_$(date +%s%N)"
        psql -q "$PG" -c "CREATE DATABASE $scratch" >/dev/null
        db="${PG%/*}/$scratch"
        stored() { psql -At "$db" -c "SELECT id FROM events"; }
        backend=postgres
    else
        db=$WORK/crash-$trial.db
        stored() { sqlite3 "$db" "SELECT id FROM events"; }
        backend=sqlite
    fi
    port=$((20000 + RANDOM % 30000))
    start "$db" "$port"
    token=$(sed -n 's/.*API token: \(nguon_[0-9a-f]*\).*/\1/p' "$WORK/serve.log" | head -n1)
    : >"$WORK/acked-$trial.txt"
    for _ in 1 2 3 4; do writer "http://127.0.0.1:$port" "$token" "$WORK/acked-$trial.txt" & done
    sleep "$(python3 -c 'import random; print(round(random.uniform(1.0, 4.0), 2))')"
    kill -9 "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    wait 2>/dev/null || true
    stored >"$WORK/stored-$trial.txt"
    acked=$(sort -u "$WORK/acked-$trial.txt" | wc -l)
    lost=$(sort -u "$WORK/acked-$trial.txt" | comm -23 - <(sort -u "$WORK/stored-$trial.txt") | wc -l)
    if "$NGUON" --config "$WORK/none.toml" --database "$db" verify >"$WORK/verify.txt" 2>&1; then
        verdict="intact"
    else
        verdict="ALTERED: $(head -n1 "$WORK/verify.txt")"
    fi
    printf '| %s | %s | %s | %s | %s |\n' "$trial" "$backend" "$acked" "$lost" "$verdict"
    acked_total=$((acked_total + acked))
    lost_total=$((lost_total + lost))
    [ -n "$PG" ] && psql -q "$PG" -c "DROP DATABASE $scratch WITH (FORCE)" >/dev/null
done
echo
echo "$TRIALS kill -9 trials: $acked_total events acknowledged, $lost_total lost."
[ "$lost_total" -eq 0 ]
