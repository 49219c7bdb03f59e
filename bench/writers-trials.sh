#!/usr/bin/env bash
# Writer trials: WRITERS clients (default 50) append events to ONE lot at the same moment, then
# every event is sent again (a phone resending its queue after a lost answer). Afterwards the lot
# must hold exactly one event per acknowledged id, with seqs 1..n without a gap, every resend must
# have been answered 200 (already stored) without adding a row, a resend with a changed body must
# be refused (409), and `nguon verify` must find every chain intact. Prints one row per backend.
#
# Usage: bench/writers-trials.sh [WRITERS] [EVENTS_EACH]      (SQLite)
#        NGUON_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bench/writers-trials.sh
# Needs curl, python3, sqlite3 (or psql), and the nguon binary (built in release when missing).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
NGUON=${NGUON_BIN:-$TARGET/release/nguon}
PG=${NGUON_DATABASE_URL:-}
WRITERS=${1:-50}
EACH=${2:-20}
[ -x "$NGUON" ] || (cd "$ROOT" && cargo build --release -p nguon --bin nguon)
WORK=$(mktemp -d)
PID=
SCRATCH=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    wait 2>/dev/null
    [ -n "$SCRATCH" ] && psql -q "$PG" -c "DROP DATABASE $SCRATCH WITH (FORCE)" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "$PG" ]; then
    SCRATCH="nguon_writers_$(date +%s%N)"
    psql -q "$PG" -c "CREATE DATABASE $SCRATCH" >/dev/null
    db="${PG%/*}/$SCRATCH"
    sql() { psql -At "$db" -c "$1"; }
    backend=postgres
else
    db=$WORK/writers.db
    sql() { sqlite3 "$db" "$1"; }
    backend=sqlite
fi
port=$((20000 + RANDOM % 30000))
NGUON_PUBLIC_URL=http://127.0.0.1:$port NGUON_LOG=warn "$NGUON" --config "$WORK/none.toml" --database "$db" \
    serve --demo --bind "127.0.0.1:$port" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -fso /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
token=$(sed -n 's/.*API token: \(nguon_[0-9a-f]*\).*/\1/p' "$WORK/serve.log" | head -n1)
lot=CC-2608-02
before=$(sql "SELECT count(*) FROM events WHERE lot_id = (SELECT id FROM lots WHERE code = '$lot')")

python3 - "http://127.0.0.1:$port" "$token" "$lot" "$WRITERS" "$EACH" >"$WORK/result.txt" <<'EOF'
import json, sys, threading, urllib.request, urllib.error, uuid, datetime
base, token, lot, writers, each = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
url = f"{base}/api/v1/cooperatives/1/lots/{lot}/events"
when = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).replace(microsecond=0).isoformat()
def post(body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception:
        return 0
sent = [[{"id": str(uuid.uuid4()), "type": "observation", "occurred_at": when,
          "subject": f"Kiểm tra đồng, người {w}, lần {i}"} for i in range(each)] for w in range(writers)]
first = [[] for _ in range(writers)]
again = [[] for _ in range(writers)]
gate = threading.Barrier(writers)
def write(w):
    gate.wait()
    for body in sent[w]:
        first[w].append(post(body))
    for body in sent[w]:
        again[w].append(post(body))
threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
for t in threads: t.start()
for t in threads: t.join()
flat_first = [s for l in first for s in l]
flat_again = [s for l in again for s in l]
changed = dict(sent[0][0]); changed["subject"] = "Nội dung khác"
print(json.dumps({
    "acked": sum(1 for s in flat_first if s in (200, 201)),
    "created": sum(1 for s in flat_first if s == 201),
    "first_other": sorted({s for s in flat_first if s not in (200, 201)}),
    "replays_200": sum(1 for s in flat_again if s == 200),
    "replays_other": sorted({s for s in flat_again if s != 200}),
    "changed_resend": post(changed),
    "ids": [b["id"] for l in sent for b in l],
}))
EOF
read -r acked created first_other replays_200 replays_other changed_resend < <(python3 -c '
import json,sys; r=json.load(open(sys.argv[1]))
print(r["acked"], r["created"], ",".join(map(str,r["first_other"])) or "-", r["replays_200"], ",".join(map(str,r["replays_other"])) or "-", r["changed_resend"])' "$WORK/result.txt")
after=$(sql "SELECT count(*) FROM events WHERE lot_id = (SELECT id FROM lots WHERE code = '$lot')")
gaps=$(sql "SELECT count(*) - (max(seq) - min(seq) + 1) FROM events WHERE lot_id = (SELECT id FROM lots WHERE code = '$lot')")
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=
if "$NGUON" --config "$WORK/none.toml" --database "$db" verify >"$WORK/verify.txt" 2>&1; then
    verdict=intact
else
    verdict="ALTERED: $(head -n1 "$WORK/verify.txt")"
fi
added=$((after - before))
printf '| backend | writers × events | acknowledged (201) | other first answers | rows added | seq gaps | replays answered 200 | other replay answers | changed resend | verify |\n'
printf '|---|---|---|---|---|---|---|---|---|---|\n'
printf '| %s | %s × %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$WRITERS" "$EACH" "$acked" "$created" \
    "$first_other" "$added" "$gaps" "$replays_200" "$replays_other" "$changed_resend" "$verdict"
total=$((WRITERS * EACH))
[ "$created" -eq "$total" ] && [ "$added" -eq "$total" ] && [ "$gaps" -eq 0 ] && [ "$replays_200" -eq "$total" ] \
    && [ "$changed_resend" = 409 ] && [ "$verdict" = intact ]
