# shellcheck shell=bash
# Throwaway PostgreSQL server for tests. Source this file, then:
#
#   pg_start            # starts a fresh cluster on a free loopback port
#   trap pg_stop EXIT   # (the caller's job) stop it however the script ends
#   ... $STOA_TEST_PG_URL ...
#   pg_stop             # stops it and deletes its directory (safe to call twice)
#
# pg_start exports:
#   STOA_TEST_PG_URL  postgres://postgres@127.0.0.1:PORT/postgres (superuser, trust auth)
#   STOA_PG_BIN       the server's bin directory (psql, pg_ctl, ...)
#   STOA_PG_PORT      the port
#   STOA_PG_DIR       the temporary directory (data/, log, unix socket)
#
# STOA_PG_OPTIONS, if set, adds server options (e.g. "-c shared_buffers=2GB"; scripts/bench uses it).
#
# Needs Debian's `postgresql` package (any version; the newest under
# /usr/lib/postgresql is used). initdb refuses to run as root, so when run as root
# the server runs as the `postgres` user.

_pg_log() { printf 'postgres.sh: %s\n' "$*" >&2; }

# The newest /usr/lib/postgresql/<version>/bin that has initdb.
_pg_find_bin() {
    local dir best="" best_ver=-1 ver
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || continue
        ver=${dir#/usr/lib/postgresql/}
        ver=${ver%%/*}
        ver=${ver%%.*}
        [[ "$ver" =~ ^[0-9]+$ ]] || continue
        if (( ver > best_ver )); then best_ver=$ver; best=$dir; fi
    done
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

# Run a command line (one string) as the database owner: `postgres` when we are root.
_pg_as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        su postgres -s /bin/sh -c "cd / && $1"
    else
        sh -c "cd / && $1"
    fi
}

_pg_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
    if [[ -n "${STOA_PG_DIR:-}" && -d "${STOA_PG_DIR}" ]]; then
        _pg_log "a server is already running from $STOA_PG_DIR (call pg_stop first)"
        return 1
    fi
    local bin dir port attempt opts q_bin q_dir
    if ! bin=$(_pg_find_bin); then
        _pg_log "no PostgreSQL server found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
        return 1
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/stoa-pg.XXXXXX") || { _pg_log "mktemp failed"; return 1; }
    # Published before anything can fail, so pg_stop (from the caller's trap) can clean up.
    export STOA_PG_DIR="$dir" STOA_PG_BIN="$bin"
    if [[ "$(id -u)" -eq 0 ]]; then
        if ! id postgres >/dev/null 2>&1; then
            _pg_log "user 'postgres' does not exist (is the postgresql package installed?)"
            pg_stop; return 1
        fi
        chown postgres: "$dir" || { pg_stop; return 1; }
    fi
    chmod 700 "$dir"
    q_bin=$(printf '%q' "$bin"); q_dir=$(printf '%q' "$dir")

    if ! _pg_as_owner "$q_bin/initdb -D $q_dir/data -A trust -U postgres -E UTF8 --locale=C.UTF-8 >$q_dir/initdb.log 2>&1"; then
        _pg_log "initdb failed:"; cat "$dir/initdb.log" >&2 2>/dev/null || true
        pg_stop; return 1
    fi

    # The port is free when we look, but another process may take it before the server
    # binds it: retry with a new port a few times.
    for attempt in 1 2 3 4 5; do
        port=$(_pg_free_port) || { _pg_log "could not pick a free port"; pg_stop; return 1; }
        opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=2500 ${STOA_PG_OPTIONS:-}"
        if _pg_as_owner "$q_bin/pg_ctl -D $q_dir/data -l $q_dir/log -w -t 60 -o '$opts' start >$q_dir/pg_ctl.log 2>&1"; then
            export STOA_PG_PORT="$port"
            export STOA_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
            if ! "$bin/psql" "$STOA_TEST_PG_URL" -X -q -t -A -v ON_ERROR_STOP=1 -c 'SELECT 1' >/dev/null; then
                _pg_log "server started but does not answer on $STOA_TEST_PG_URL"
                tail -n 30 "$dir/log" >&2 2>/dev/null || true
                pg_stop; return 1
            fi
            _pg_log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $STOA_TEST_PG_URL (dir $dir)"
            return 0
        fi
        _pg_log "start on port $port failed (attempt $attempt)"
    done
    _pg_log "could not start PostgreSQL; server log:"
    tail -n 30 "$dir/log" >&2 2>/dev/null || cat "$dir/pg_ctl.log" >&2 2>/dev/null || true
    pg_stop
    return 1
}

# Stops the server started by pg_start and removes its directory. Idempotent; never fails,
# so it is safe in an EXIT trap.
pg_stop() {
    local dir="${STOA_PG_DIR:-}" bin="${STOA_PG_BIN:-}" pid
    if [[ -n "$dir" && -d "$dir" ]]; then
        if [[ -f "$dir/data/postmaster.pid" && -n "$bin" ]]; then
            if ! _pg_as_owner "$(printf '%q' "$bin")/pg_ctl -D $(printf '%q' "$dir")/data -m fast -w -t 30 stop >/dev/null 2>&1"; then
                pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
                if [[ "$pid" =~ ^[0-9]+$ ]]; then
                    _pg_log "pg_ctl stop failed; killing postmaster $pid"
                    kill -9 "$pid" 2>/dev/null || true
                    sleep 0.5
                fi
            fi
        fi
        rm -rf -- "$dir"
    fi
    unset STOA_PG_DIR STOA_PG_PORT STOA_TEST_PG_URL
    return 0
}
