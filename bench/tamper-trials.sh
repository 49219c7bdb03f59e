#!/usr/bin/env bash
# Tamper trials: edits a running service's database by hand, the ways issue 12 lists, and reads
# what a buyer is told on every surface right after — the GS1 Digital Link page, the short link,
# the lot page and the JSON API — then what `nguon verify` says. Prints one row per case; every
# cell must say `altered` (on the pages: the red badge, no green anywhere).
#
# Usage: bench/tamper-trials.sh        (SQLite, the default)
#        NGUON_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/tamper-trials.sh
#          (creates and drops a scratch database per case on that server)
# Needs curl, python3, sqlite3 (or psql), and the nguon binary (built in release when missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
NGUON=${NGUON_BIN:-$TARGET/release/nguon}
PG=${NGUON_DATABASE_URL:-}
[ -x "$NGUON" ] || (cd "$ROOT" && cargo build --release -p nguon --bin nguon)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

CASES=(
    "change a body|UPDATE events SET body = replace(body, 'Bác Tôm', 'Bác Tám') WHERE lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01-A')"
    "delete a middle event|DELETE FROM events WHERE seq = 5 AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01')"
    "swap seqs|UPDATE events SET seq = -3 WHERE seq = 3 AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01'); UPDATE events SET seq = 3 WHERE seq = 4 AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01'); UPDATE events SET seq = 4 WHERE seq = -3 AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01')"
    "change the lot's product|UPDATE lots SET product_id = 2 WHERE code = 'CN-2609-01-A'"
    "edit the batch's serial list|UPDATE labels SET serial = 'ABCDEFGHJKMNPQRS' WHERE position = 2"
    "delete a label row|DELETE FROM labels WHERE position = 3"
)

verdict_of_page() { # url → altered | genuine | recalled | … | HTTP code
    local body code
    body=$(curl -s -w '\n%{http_code}' "$1")
    code=${body##*$'\n'}
    body=${body%$'\n'*}
    if [ "$code" != 200 ]; then echo "HTTP $code"; return; fi
    if grep -q 'badge verified' <<<"$body" || grep -q '<title>[^<]*Đã xác minh' <<<"$body"; then echo genuine; return; fi
    sed -n 's/.*"propertyID":"nguon:verdict"[^}]*"value":"\([a-z]*\)".*/\1/p' <<<"$body" | head -n1
}

missed=0
printf '| case | GS1 page | short link | lot page | JSON API | nguon verify |\n|---|---|---|---|---|---|\n'
for case in "${CASES[@]}"; do
    name=${case%%|*}
    statement=${case#*|}
    if [ -n "$PG" ]; then
        scratch="nguon_tamper_$(date +%s%N)"
        psql -q "$PG" -c "CREATE DATABASE $scratch" >/dev/null
        db="${PG%/*}/$scratch"
        run_sql() { psql -q "$db" -c "$1" >/dev/null; }
    else
        db=$WORK/tamper-$RANDOM.db
        run_sql() { sqlite3 "$db" "$1"; }
    fi
    port=$((20000 + RANDOM % 30000))
    base=http://127.0.0.1:$port
    NGUON_PUBLIC_URL=$base NGUON_LOG=warn "$NGUON" --config "$WORK/none.toml" --database "$db" serve --demo --bind "127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
    PID=$!
    for _ in $(seq 200); do curl -fso /dev/null "$base/healthz" && break; sleep 0.1; done
    token=$(sed -n 's/.*API token: \(nguon_[0-9a-f]*\).*/\1/p' "$WORK/serve.log" | head -n1)
    batch=$(curl -fsS "$base/api/v1/cooperatives/1/lots/CN-2609-01-A/labels" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d '{"count": 3, "pack_size": "1 kg"}')
    url=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["labels"][0]["url"])' <<<"$batch")
    serial=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["labels"][0]["serial"])' <<<"$batch")
    digest=${url##*d=}
    lot=$base/htx/1/lo/CN-2609-01-A
    # Read every surface once first, so anything kept in memory is there when the record changes.
    for u in "$url" "$base/l/$serial?d=$digest" "$lot" "$base/api/v1/labels/$serial?d=$digest"; do curl -fso /dev/null "$u"; done
    run_sql "$statement"
    api=$(curl -s "$base/api/v1/labels/$serial?d=$digest" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("verdict", "?"))')
    row="| $name | $(verdict_of_page "$url") | $(verdict_of_page "$base/l/$serial?d=$digest") | $(verdict_of_page "$lot") | ${api:-?} |"
    kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true
    PID=
    if "$NGUON" --config "$WORK/none.toml" --database "$db" verify >"$WORK/verify.txt" 2>&1; then
        row="$row exit 0 (missed) |"
    else
        row="$row exit $? ($(grep -c ALTERED "$WORK/verify.txt") named) |"
    fi
    echo "$row"
    # Every surface must say altered, and verify must exit non-zero naming something.
    if [ "$(grep -o '| altered ' <<<"$row" | wc -l)" -ne 4 ] || grep -q 'missed\|(0 named)' <<<"$row"; then
        missed=$((missed + 1))
    fi
    if [ -n "$PG" ]; then psql -q "$PG" -c "DROP DATABASE $scratch WITH (FORCE)" >/dev/null; fi
done
echo
echo "${#CASES[@]} tamper cases × 4 surfaces and nguon verify: $missed cases not shown as altered everywhere."
[ "$missed" -eq 0 ]
