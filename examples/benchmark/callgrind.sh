#!/usr/bin/env bash
# User-space instructions per request of a server, counted by valgrind's callgrind: exact and
# repeatable whatever else the machine is doing, and available where `perf stat` is not.
#
#   bash examples/benchmark/callgrind.sh [PATH] [SERVER...]
#   bash examples/benchmark/callgrind.sh /users/42 hello baseline-axum
#
# Each server (a binary of `cargo build --release -p hello -p benchmark`) runs under callgrind
# twice, answering N1 and then N2 requests sent one after another on one keep-alive connection;
# the difference of the two totals over N2 - N1 is the cost of one request, start-up and
# shutdown cancelled out. Kernel time is not counted: compare it with `run.sh`'s CPU time.
set -euo pipefail

PATH_Q=${1:-/users/42}
shift || true
SERVERS=("$@")
[[ $# -gt 0 ]] || SERVERS=(hello baseline-axum)
N1=${N1:-2000}
N2=${N2:-6000}
PORT=${PORT:-8123}

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
cargo build --release -q -p hello -p benchmark --manifest-path "$ROOT/Cargo.toml"
BIN=$(cargo metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Sends N requests for PATH_Q on one connection, each after the previous answer.
cat >"$WORK/client.py" <<'PY'
import socket, sys
port, n, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
request = f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
buf = b""
for _ in range(n):
    s.sendall(request)
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode().lower().split("\r\n")
            if not head[0].startswith("http/1.1 200"):
                sys.exit(f"{path}: {head[0]}")
            length = int(next(l.split(":")[1] for l in head if l.startswith("content-length:")))
            if len(buf) >= end + 4 + length:
                buf = buf[end + 4 + length:]
                break
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("the server closed the connection")
        buf += chunk
PY

# Total instructions of one run of server $1 answering $2 requests.
total() {
    local server=$1 n=$2 out=$WORK/$1.$2.out
    (cd "$WORK" && REUSEPORT=true WORKERS=1 HOST=127.0.0.1 PORT=$PORT RUST_LOG=warn \
        exec valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/$server" >/dev/null 2>&1) &
    local pid=$!
    for _ in $(seq 150); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT)).close()" \
            2>/dev/null && break
        sleep 0.2
    done
    python3 "$WORK/client.py" "$PORT" "$n" "$PATH_Q"
    kill -TERM "$pid"
    wait "$pid" || true
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

for server in "${SERVERS[@]}"; do
    a=$(total "$server" "$N1")
    b=$(total "$server" "$N2")
    echo "$server $PATH_Q: $(((b - a) / (N2 - N1))) instructions/request (user space, callgrind)"
done
