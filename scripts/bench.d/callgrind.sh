#!/usr/bin/env bash
# Instructions per request, by valgrind's callgrind: stable on a noisy machine where req/s is not.
#
#   scripts/bench.d/callgrind.sh OUT BIN [BIN2 ...]
#
# For each release binary: a fresh PostgreSQL database seeded with `stoa dev seed`, `stoa serve`
# under callgrind, four signed-in users, then per route (/api/me and /api/user/history?limit=20
# with an access JWT, get-session with a bearer session token): a warm-up, counters zeroed,
# wrk -c4 for a fixed time, a dump. Prints instructions per request and writes the top functions
# (callgrind_annotate) to OUT/<n>-<route>.txt. Compare two builds by passing both.
set -euo pipefail
export ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$1"; shift
mkdir -p "$OUT"
# shellcheck source=../lib/postgres.sh
source "$ROOT/scripts/lib/postgres.sh"
unset STOA_PG_DIR STOA_PG_PORT STOA_TEST_PG_URL
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; pg_stop; }
trap cleanup EXIT INT TERM
pg_start
export BETTER_AUTH_SECRET="bench-secret-bench-secret-bench-secret-00" STOA_RATE_LIMIT=off STOA_USER_RATE_LIMIT=0 STOA_LOG_LEVEL=warning
SECONDS_PER_ROUTE="${CG_SECONDS:-15}"
n=0
for BIN in "$@"; do
    n=$((n + 1))
    db="stoa_cg$n"
    psql "$STOA_TEST_PG_URL" -qc "CREATE DATABASE $db" >/dev/null
    export DATABASE_URL="${STOA_TEST_PG_URL%/*}/$db?sslmode=disable"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    export BETTER_AUTH_URL="http://127.0.0.1:$port"
    dir="$OUT/run$n"; mkdir -p "$dir"
    (cd "$dir" && "$BIN" dev seed --users 8 --conversations-per-user 5 --messages-per-conversation 20 --tasks-per-user 5 >/dev/null)
    psql "$DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$BIN" serve --host 127.0.0.1 --port "$port" 2>"$dir/valgrind.log") &
    PID=$!
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
    emails="$(cd "$dir" && "$BIN" users list --json --limit 4 | "$ROOT/.venv/bin/python" -c 'import json,sys; print(" ".join(u["email"] for u in json.load(sys.stdin)))')"
    "$ROOT/.venv/bin/python" - "$dir" "http://127.0.0.1:$port" $emails <<'PY'
import sys, os
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "scripts/bench.d"))
import bench_users
out, base, emails = sys.argv[1], sys.argv[2], sys.argv[3:]
http = bench_users.client()
jwts, sessions = [], []
for e in emails:
    s, j = bench_users.sign_in(http, base, e)
    jwts.append(j); sessions.append(s)
open(os.path.join(out, "jwt.txt"), "w").write("\n".join(jwts) + "\n")
open(os.path.join(out, "session.txt"), "w").write("\n".join(sessions) + "\n")
PY
    echo "== $BIN"
    for route in me history session; do
        case "$route" in
            me) url="/api/me"; tokens="$dir/jwt.txt" ;;
            history) url="/api/user/history?limit=20"; tokens="$dir/jwt.txt" ;;
            session) url="/api/auth/get-session"; tokens="$dir/session.txt" ;;
        esac
        wrk -t1 -c4 -d3s -s "$ROOT/scripts/bench.d/tokens.lua" "http://127.0.0.1:$port$url" -- "$tokens" >/dev/null
        callgrind_control -z "$PID" >/dev/null
        requests=$(wrk -t1 -c4 -d"${SECONDS_PER_ROUTE}s" -s "$ROOT/scripts/bench.d/tokens.lua" "http://127.0.0.1:$port$url" -- "$tokens" \
            | awk '/requests in/ {print $1}')
        callgrind_control -d "$route" "$PID" >/dev/null
        sleep 1
        dump=$(ls -t "$dir"/cg.out.* | head -1)
        ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
        callgrind_annotate "$dump" 2>/dev/null | head -40 > "$OUT/$n-$route.txt"
        printf '%-8s %8d requests  %12.0f instructions/request\n' "$route" "$requests" "$(echo "$ir / $requests" | bc -l)"
    done
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done
