# common.sh: the shell helpers bench/run, bench/backends, bench/features and bench/segments
# share. Sourced (never run) after the caller has set BENCH_DIR, REPO, BUILD, BIN and WORK;
# the functions set the globals their comments name. Callers keep `set -euo pipefail`.
# shellcheck shell=bash
# shellcheck disable=SC2034  # the globals set here are read by the callers

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

require_tools() { # tool...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is required"
    done
}

# Run a step in the background and wait for it, so that a signal reaches our trap at once
# (bash runs traps only between foreground commands) and cleanup can stop the step.
# CHILD_PIDS holds the steps running now (a caller may add several, as bench/backends' wrk
# on every node does); stop_children ends them.
CHILD_PIDS=()
run_child() {
    "$@" &
    CHILD_PIDS=("$!")
    local rc=0
    wait "${CHILD_PIDS[0]}" || rc=$?
    CHILD_PIDS=()
    return "$rc"
}
stop_children() {
    local pid
    for pid in "${CHILD_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${CHILD_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    CHILD_PIDS=()
}

# Builds the release binary unless BENCH_BIN names one or BENCH_SKIP_BUILD says to use
# BUILD's as it is. The working tree is built in BUILD; with BENCH_REV=<commit>, that commit
# (git archive, so the working tree is untouched) in $WORK/build. Sets BIN (and REV).
build_contactd() {
    local src=$REPO
    if [[ -n "${BENCH_REV:-}" ]]; then
        REV=$(git -C "$REPO" rev-parse --verify "${BENCH_REV}^{commit}") || die "unknown revision $BENCH_REV"
        src="$WORK/src"
        BUILD="$WORK/build"
        BIN="$BUILD/contactd"
        mkdir -p "$src"
        git -C "$REPO" archive "$REV" | tar -x -C "$src" || die "cannot export $BENCH_REV"
    fi
    if [[ -n "${BENCH_BIN:-}" ]]; then
        BIN=$BENCH_BIN
    elif [[ -z "${BENCH_SKIP_BUILD:-}" || -n "${BENCH_REV:-}" ]]; then
        log "building the release binary in $BUILD"
        if ! run_child timeout 600 bash -c "cmake -S '$src' -B '$BUILD' -DCMAKE_BUILD_TYPE=Release && cmake --build '$BUILD' --target contactd -j2" \
            >"$WORK/build.log" 2>&1; then
            tail -n 40 "$WORK/build.log" >&2
            die "build failed"
        fi
    fi
    [[ -x "$BIN" ]] || die "no binary at $BIN"
}

# The C helpers of bench/ (sqlite_insert, store_tool, openloop), built by CMake from the
# working tree (option CONTACTD_BENCH) in build-release/bench/, whatever contactd is measured.
# Sets HELPERS to their directory.
build_bench_helpers() {
    local dir="$REPO/build-release"
    HELPERS="$dir/bench"
    log "building the bench helpers (sqlite_insert, store_tool, openloop) in $HELPERS"
    if ! run_child timeout 600 bash -c "cmake -S '$REPO' -B '$dir' -DCMAKE_BUILD_TYPE=Release -DCONTACTD_BENCH=ON && cmake --build '$dir' --target bench_helpers -j2" \
        >"$WORK/helpers.log" 2>&1; then
        tail -n 40 "$WORK/helpers.log" >&2
        die "cannot build the bench helpers (cmake -DCONTACTD_BENCH=ON; target bench_helpers)"
    fi
}

# Waits until contactd (PID, printing to OUT and ERR) says where it listens and prints the
# port. Returns 1 (after logging why) when it exits or stays silent for READY_TIMEOUT_S.
wait_listening() { # pid out err label
    local pid=$1 out=$2 err=$3 label=$4 port="" i
    for ((i = 0; i < READY_TIMEOUT_S * 20; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$err" >&2 || true
            log "contactd ($label) exited during start"
            return 1
        fi
        port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$out" | head -n 1)
        [[ -n "$port" ]] && break
        sleep 0.05
    done
    if [[ -z "$port" ]]; then
        log "contactd ($label) did not print 'listening on' within ${READY_TIMEOUT_S}s"
        return 1
    fi
    echo "$port"
}

# Starts contactd on DB (a file or a PostgreSQL URL) in the background with the benchmark's
# key; its output goes to OUT and ERR. Sets STARTED_PID. A rate limit from the caller's
# environment would throttle the load, so it is removed; the flags win over
# CONTACTD_LISTEN/DB/THREADS.
spawn_contactd() { # db out err
    env -u CONTACTD_RATE_LIMIT CONTACTD_API_KEY="$API_KEY" "$BIN" serve --listen 127.0.0.1:0 --db "$1" \
        --threads "$SERVER_THREADS" --no-access-log >"$2" 2>"$3" &
    STARTED_PID=$!
}

# Starts contactd on DB (created if missing); LABEL names its output files
# $WORK/server-LABEL.out and .err. Sets SERVER_PID, SERVER_LABEL, PORT and BASE; returns 1
# (after logging why) when it does not become ready, stopping it with the caller's
# stop_server if it still runs.
start_server() { # db label
    local db=$1 label=$2 out="$WORK/server-$2.out" err="$WORK/server-$2.err"
    SERVER_LABEL=$label
    spawn_contactd "$db" "$out" "$err"
    SERVER_PID=$STARTED_PID
    if ! PORT=$(wait_listening "$SERVER_PID" "$out" "$err" "$label"); then
        PORT=""
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            stop_server
        else
            wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=""
        fi
        return 1
    fi
    BASE="http://127.0.0.1:$PORT"
    log "contactd ($label) pid $SERVER_PID at $BASE"
}

# ---- a throwaway PostgreSQL cluster (scripts/pg-test-cluster) -------------------------------
PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
PG_TIMEOUT_S=${PG_TIMEOUT_S:-120}   # cluster start, restart, stop
PGDIR=""                            # the cluster's directory, once its start was attempted
# As pg-test-cluster does: as root, the cluster belongs to the `postgres` OS user.
PG_OWNER=()
if [[ "$(id -u)" == 0 ]]; then PG_OWNER=(runuser -u postgres --); fi

# Starts the cluster (on BENCH_PG_PORT or a free port), restarted with durability on when
# PG_DURABLE is 1, and creates the databases named. Sets PGDIR, PG_URL and PG_INFO; on
# failure PG_URL is empty, PG_INFO says so and FAILED=1.
start_cluster() { # database...
    local port db creates=()
    PG_URL=""
    # Its own directory outside $WORK (mode 700): the cluster belongs to `postgres` as root.
    PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/contactd-bench-pg.XXXXXX")
    log "starting a PostgreSQL cluster (scripts/pg-test-cluster, port ${BENCH_PG_PORT:-any free one})"
    if PG_URL=$(run_child timeout "$PG_TIMEOUT_S" "$REPO/scripts/pg-test-cluster" start "$PGDIR" ${BENCH_PG_PORT:+"$BENCH_PG_PORT"} 2>"$WORK/pg-start.err"); then
        port=$(cat "$PGDIR/port")
        if [[ "$PG_DURABLE" == 1 ]]; then
            # pg-test-cluster turns fsync, synchronous_commit and full_page_writes off (fine for
            # tests); contactd's 202 means "on disk", and SQLite runs with synchronous=FULL, so
            # the same options are set again here with durability on. Command-line options beat
            # postgresql.conf and ALTER SYSTEM, hence a restart with new ones.
            log "restarting it with fsync=on, synchronous_commit=on, full_page_writes=on"
            if ! run_child timeout "$PG_TIMEOUT_S" "${PG_OWNER[@]}" "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" \
                -w -t 60 -m fast restart -o "-c listen_addresses=127.0.0.1 -p $port -k $PGDIR -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300" \
                >>"$WORK/pg-start.err" 2>&1; then
                PG_URL=""
            fi
        fi
    else
        PG_URL=""
    fi
    for db in "$@"; do creates+=(-c "CREATE DATABASE $db"); done
    if [[ -n "$PG_URL" ]] && run_child timeout 30 psql -X -q -v ON_ERROR_STOP=1 -d "$PG_URL" \
        "${creates[@]}" >>"$WORK/pg-start.err" 2>&1; then
        PG_INFO="$(psql -X -At -d "$PG_URL" -c "SELECT split_part(version(), ' ', 2) || ' (scripts/pg-test-cluster' || CASE WHEN $PG_DURABLE = 1 THEN ', restarted' ELSE '' END || '): fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', full_page_writes=' || current_setting('full_page_writes') || ', shared_buffers=' || current_setting('shared_buffers') || ', wal_sync_method=' || current_setting('wal_sync_method')" 2>/dev/null || echo "version unknown")"
        log "PostgreSQL ready: $PG_INFO"
    else
        log "the PostgreSQL cluster did not start:"
        cat "$WORK/pg-start.err" >&2 || true
        cat "$PGDIR/server.log" >&2 2>/dev/null || true
        PG_URL=""
        PG_INFO="FAILED to start"
        FAILED=1
    fi
}

stop_cluster() {
    local dir=$PGDIR
    PGDIR=""
    [[ -n "$dir" ]] || return 0
    log "stopping the PostgreSQL cluster"
    timeout "$PG_TIMEOUT_S" "$REPO/scripts/pg-test-cluster" stop "$dir" >/dev/null 2>&1 || {
        log "pg-test-cluster stop failed; killing the postmaster"
        local pid
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
        if [[ -n "$pid" ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
        rm -rf "$dir"
    }
}

# ---- the report ---------------------------------------------------------------------------------
# What was measured, for the table's header: sets COMMIT and CPU.
describe_run() {
    if [[ -n "${BENCH_BIN:-}" ]]; then
        COMMIT="binary $BENCH_BIN (BENCH_BIN), commit unknown"
    elif [[ -n "${BENCH_REV:-}" ]]; then
        COMMIT="commit $(git -C "$REPO" rev-parse --short=12 "$REV") (BENCH_REV=$BENCH_REV, Release build from git archive)"
    else
        COMMIT="commit $(git -C "$REPO" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
        if [[ -n "$(git -C "$REPO" status --porcelain -- src CMakeLists.txt 2>/dev/null)" ]]; then
            COMMIT="$COMMIT + uncommitted changes in src/ or CMakeLists.txt"
        fi
        COMMIT="$COMMIT, Release build ($BUILD${BENCH_SKIP_BUILD:+, not rebuilt: BENCH_SKIP_BUILD})"
    fi
    CPU=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
}

# Shows what the servers wrote to stderr besides their stop messages (file names given).
show_server_errors() { # err-file...
    local err
    for err in "$@"; do
        if [[ -s "$err" ]] && grep -qv -e 'received, stopping' -e 'contactd: stopped' "$err"; then
            log "contactd wrote to stderr (${err#"$WORK"/}):"
            grep -v -m 20 -e 'received, stopping' -e 'contactd: stopped' "$err" >&2
        fi
    done
}
