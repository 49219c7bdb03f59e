# Sourced by the benchmarks: reads wrk's --latency report.

# Prints "req/s p50_ms p99_ms non2xx socket_errors" from the wrk --latency report in file $1.
wrk_summary() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return v / 1000
            if (v ~ /ms$/) return v + 0
            if (v ~ /s$/) return v * 1000
            return v
        }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { errors = $0; sub(/.*Socket errors: */, "", errors); gsub(/ /, "", errors) }
        END { printf "%s %s %s %s %s\n", rps, p50, p99, non2xx + 0, (errors == "" ? "none" : errors) }' "$1"
}
