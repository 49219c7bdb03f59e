#!/usr/bin/env bash
# The feed benchmark (issue 6): what a marketplace that polls a cooperative's feed costs.
#
# Google Merchant Center and Meta fetch a feed URL on a schedule (hourly at most). The claim is
# that a poll costs almost nothing when nothing changed (a 304 from the ETag) and little when the
# feed is still in memory (a 200 from the snapshot kept under the store's generation), and that
# rebuilding after a change (a sale, a recall) is quick even for a cooperative with many
# listings. This script measures the three, next to /healthz (the cheapest route: no database)
# as the baseline:
#
#   1. wrk on /healthz                                    → baseline req/s
#   2. wrk on the Google feed with If-None-Match (304)    → req/s and the ratio to the baseline
#   3. wrk on the Google feed without it (200, in memory) → req/s, bytes, ratio
#   4. FEEDS_REBUILDS times: record a sale, then fetch the feed (the snapshot is rebuilt from
#      the database)                                      → median and worst latency
#
# It builds the release binary, starts `nguon serve --demo` on a fresh SQLite file, uploads one
# photo and creates FEEDS_LISTINGS complete listings (photo, description, price, 500 g bags of
# the demo's packed lot) through the API, so every listing is in both feeds.
#
# Usage: bench/feeds.sh   (needs wrk and curl, installed with apt-get when missing as root)
# Knobs: FEEDS_LISTINGS (60), FEEDS_REBUILDS (20), FEEDS_CONNECTIONS (64), FEEDS_THREADS (2),
#        FEEDS_DURATION (10s), FEEDS_NO_BUILD=1 to use the binary already built.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LISTINGS=${FEEDS_LISTINGS:-60}
REBUILDS=${FEEDS_REBUILDS:-20}
CONNECTIONS=${FEEDS_CONNECTIONS:-64}
THREADS=${FEEDS_THREADS:-2}
DURATION=${FEEDS_DURATION:-10s}

# shellcheck source=bench/wrk-summary.sh
source "$(dirname "${BASH_SOURCE[0]}")/wrk-summary.sh"

say() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: run 'apt-get install ${missing[*]}' as root"
    say "installing ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
fi

if [ "${FEEDS_NO_BUILD:-}" != 1 ]; then
    say "building (release)"
    (cd "$ROOT" && cargo build --release -p nguon --bins)
fi
NGUON=$TARGET/release/nguon
[ -x "$NGUON" ] || die "no release binary at $NGUON (set CARGO_TARGET_DIR?)"

WORK=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -INT "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$((20000 + RANDOM % 30000))
BASE=http://127.0.0.1:$PORT
say "starting nguon serve --demo on $BASE"
NGUON_PUBLIC_URL=$BASE NGUON_LOG=warn "$NGUON" --config "$WORK/none.toml" --database "$WORK/feeds.db" \
    serve --demo --bind "127.0.0.1:$PORT" >"$WORK/nguon.log" 2>&1 &
PID=$!
for _ in $(seq 300); do
    curl -fso /dev/null "$BASE/healthz" && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/nguon.log" >&2; die "nguon serve did not start"; }
    sleep 0.1
done
TOKEN=$(grep -o 'nguon_[0-9a-f]\{64\}' "$WORK/nguon.log" | head -n1)
[ -n "$TOKEN" ] || { cat "$WORK/nguon.log" >&2; die "no demo token printed"; }
api() { # method path [json]
    curl -fsS -X "$1" "$BASE/api/v1/cooperatives/1$2" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+--data "$3"}
}

say "creating $LISTINGS listings"
# A 16×12 PNG: the server resizes it and stores it by hash like any photo.
PNG=iVBORw0KGgoAAAANSUhEUgAAABAAAAAMCAIAAADkharWAAABSklEQVR4nA3LkbrGMAyA4XM5P+75aDgcFofD4TAYDAaDwWKxWCz2ks5ef/9+wibswiGcQhEu4RYe4RVEUMEEF0JI4e+nbMquHMqpFOVSbuVRXkUUVUxxJZTULxibsRuHcRrFuIzbeIzXEEMNM9wII+0LzubszuGcTnEu53Ye53XEUcccd8JJ/0KwBXtwBGdQgiu4gyd4Awk0sMCDCDK+kGzJnhzJmZTkSu7kSd5EEk0s8SSSzC9UtspeOSpnpVSuyl15Km9FKlqxileikvULja2xN47G2SiNq3E3nsbbkIY2rOGNaGT7Qmfr7J2jc3ZK5+rcnafzdqSjHet4JzrZvzDYBvvgGJyDMrgG9+AZvAMZ6MAGPohBji9Mtsk+OSbnpEyuyT15Ju9EJjqxiU9ikvMLi22xL47FuSiLa3EvnsW7kIUubOGLWOTiH32964HKlCySAAAAAElFTkSuQmCC
echo "$PNG" | base64 -d >"$WORK/photo.png"
HASH=$(curl -fsS "$BASE/api/v1/cooperatives/1/photos" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: image/png' --data-binary "@$WORK/photo.png" | sed -n 's/.*"hash":"\([0-9a-f]*\)".*/\1/p')
[ -n "$HASH" ] || die "photo upload failed"
FIRST=
for i in $(seq "$LISTINGS"); do
    id=$(api POST /listings "{\"title_vi\":\"Cải ngọt VietGAP túi 500 g — mẫu $i\",\"description_vi\":\"Cải ngọt trồng theo VietGAP tại Tây Tựu, đóng túi trong ngày. Quét mã QR để xem nhật ký canh tác.\",\"price_vnd\":\"$((15000 + i * 100))\",\"pack_size\":\"500 g\",\"photos\":[\"$HASH\"],\"lots\":[\"CN-2609-01-B\"]}" |
        sed -n 's/^{"id":\([0-9]*\),.*/\1/p')
    [ -n "$id" ] || die "listing $i was refused"
    FIRST=${FIRST:-$id}
done
FEED=$(api GET /feeds | sed -n 's/.*"google":"\([^"]*\)".*/\1/p')
[ -n "$FEED" ] || die "no feed URL"
FEED_PATH=/${FEED#*://*/}
items=$(curl -fsS "$BASE$FEED_PATH" | grep -c '<item>')
[ "$items" -ge "$LISTINGS" ] || die "the feed holds $items items, expected at least $LISTINGS"
ETAG=$(curl -fsSI "$BASE$FEED_PATH" | tr -d '\r' | sed -n 's/^etag: //Ip')
BYTES=$(curl -fsS "$BASE$FEED_PATH" | wc -c)
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $ETAG" "$BASE$FEED_PATH")" = 304 ] ||
    die "the feed does not answer 304 to its own ETag"

# Prints "req/s p50_ms p99_ms non2xx socket_errors" for one wrk run.
measure() { # name url [header]
    local header=()
    [ -n "${3:-}" ] && header=(-H "$3")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${header[@]}" "$2" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" "$2" >"$WORK/wrk-$1.txt"
    wrk_summary "$WORK/wrk-$1.txt"
}

say "wrk -t$THREADS -c$CONNECTIONS -d$DURATION: /healthz"
read -r h_rps h_p50 h_p99 _ _ < <(measure healthz "$BASE/healthz")
say "wrk: the feed with If-None-Match (304)"
read -r c_rps c_p50 c_p99 c_non _ < <(measure conditional "$BASE$FEED_PATH" "If-None-Match: $ETAG")
say "wrk: the feed (200 from memory)"
read -r f_rps f_p50 f_p99 f_non _ < <(measure full "$BASE$FEED_PATH")

say "$REBUILDS × (a sale, then the feed rebuilt from the database)"
times=()
for n in $(seq "$REBUILDS"); do
    api POST "/listings/$FIRST/movements" \
        "{\"id\":\"$(cat /proc/sys/kernel/random/uuid)\",\"kind\":\"sale\",\"units\":1}" >/dev/null
    times+=("$(curl -fsS -o /dev/null -w '%{time_total}' "$BASE$FEED_PATH")")
done
read -r r_p50 r_max < <(printf '%s\n' "${times[@]}" | sort -n |
    awk '{ v[NR] = $1 * 1000 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[NR] }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<EOF

Feed benchmark — $LISTINGS listings in the feed ($items items, $BYTES bytes of RSS), SQLite, $(nproc) cores
wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency (after a 2 s warm-up)

  route                              req/s      p50 ms   p99 ms   ratio to /healthz
  /healthz (baseline)                $(printf '%-10s %-8s %-8s' "$h_rps" "$h_p50" "$h_p99") 1.00
  feed, If-None-Match → 304          $(printf '%-10s %-8s %-8s' "$c_rps" "$c_p50" "$c_p99") $(ratio "$c_rps" "$h_rps")   (non-2xx/3xx: $c_non)
  feed, 200 from memory              $(printf '%-10s %-8s %-8s' "$f_rps" "$f_p50" "$f_p99") $(ratio "$f_rps" "$h_rps")   (non-2xx/3xx: $f_non)

  feed rebuilt after a sale ($REBUILDS times): median $r_p50 ms, worst $r_max ms
EOF
