# The suite's servers, for verify.sh and run.sh (sourced, not run). Needs BIN (the directory of
# the built binaries), PORT, DATABASE_URL and POOL (database connections per server).

TFB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SERVERS=${SERVERS:-chopin axum raw}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# The command line of each server, by name, into CMD. `env` execs, so $! is the server itself.
# Chopin runs one worker (the server's one CPU), its pool opened whole at start as the
# baselines' are, with the HTTP layer's defaults off (request ids, compression, the access log),
# as TechEmpower's entries run without logs.
server_cmd() {
    case $1 in
        chopin) CMD=(env HOST=127.0.0.1 PORT="$PORT" REUSEPORT=true WORKERS=1 RUST_LOG=warn
            DATABASE_URL="$DATABASE_URL" DB_MAX_CONNECTIONS="$POOL" DB_MIN_CONNECTIONS="$POOL"
            REQUEST_ID=false COMPRESSION=false ACCESS_LOG=false "$BIN/techempower") ;;
        axum) CMD=(env PORT="$PORT" DATABASE_URL="$DATABASE_URL" DB_POOL="$POOL" "$BIN/tfb-axum") ;;
        # The ceiling pipelines its queries over a few connections instead of a pool.
        raw) CMD=(env PORT="$PORT" DATABASE_URL="$DATABASE_URL" "$BIN/tfb-raw") ;;
        *) die "unknown server $1 (the servers: $SERVERS)" ;;
    esac
}

# Starts server $1 (pinned with `taskset -c $2` when $2 is set), logging to $3, and waits until
# it answers /json. Sets SERVER_PID.
SERVER_PID=
start_server() {
    server_cmd "$1"
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/json" &&
        die "port $PORT already answers: stop that server or set PORT"
    local pin=()
    [[ -n $2 ]] && pin=(taskset -c "$2")
    (cd "$RUN_DIR" && exec "${pin[@]}" "${CMD[@]}") >"$3" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 150); do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/json" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$3" >&2; die "$1 exited at start-up (log: $3)"; }
        sleep 0.1
    done
    die "$1 did not answer on port $PORT within 15 s (log: $3)"
}

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for i in $(seq 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        [[ $i -eq 100 ]] && kill -KILL "$SERVER_PID" 2>/dev/null
        sleep 0.1
    done
    wait "$SERVER_PID" 2>/dev/null || true # SIGTERM's 143 is expected
    SERVER_PID=
}

# Creates the database of DATABASE_URL if it is missing, then has Chopin's binary create the
# tables and fill them.
seed_database() {
    command -v psql >/dev/null || {
        echo "installing psql..." >&2
        apt-get install -y -qq postgresql-client >/dev/null || die "cannot install postgresql-client (psql)"
    }
    local name=${DATABASE_URL##*/}
    name=${name%%\?*}
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || die "DATABASE_URL names the database '$name': use a plain lower-case name"
    psql "${DATABASE_URL%/*}/postgres" -qAtc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
        psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE $name" ||
        die "cannot reach PostgreSQL at ${DATABASE_URL%/*}"
    (cd "$RUN_DIR" && env RUST_LOG=warn DATABASE_URL="$DATABASE_URL" "$BIN/techempower" migrate >/dev/null &&
        env RUST_LOG=warn DATABASE_URL="$DATABASE_URL" "$BIN/techempower" seed) || die "migrate or seed failed"
}
