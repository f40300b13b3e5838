#!/usr/bin/env bash
# Storage benchmark: a large file uploaded as multipart/form-data and downloaded back, through
# Chopin's storage battery (`storage-chopin`: Upload and Download on local files) and through the
# hand-written axum equivalent (`baseline-axum-upload`: multer into a file, SHA-256, streamed
# back), side by side, interleaved, best of ROUNDS.
# Usage: [SIZE_MB=100] [ROUNDS=3] [PORT=8090] bash examples/benchmark/storage.sh
#
# Each server runs alone, pinned to CPU 0, curl on CPU 1. Reported per server: upload and
# download throughput (MB/s of the file), and the server's resident memory: idle, and its peak
# over the whole run (VmHWM), whose difference shows whether a file is streamed or buffered.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
SIZE_MB=${SIZE_MB:-100}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-8090}
URL=http://127.0.0.1:$PORT

die() { echo "storage.sh: $*" >&2; exit 1; }
[[ $(nproc) -ge 2 ]] || die "needs at least 2 CPUs (server on CPU 0, curl on CPU 1)"
command -v curl >/dev/null || die "needs curl"

cd "$ROOT"
cargo build --release -p benchmark --bin storage-chopin --bin baseline-axum-upload
BIN=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

FILE=$WORK/file.bin
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom >"$FILE"
MAX=$((SIZE_MB * 1024 * 1024 + 1024 * 1024))

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }

start() {
    local name=$1 dir=$WORK/$1
    rm -rf "$dir" && mkdir -p "$dir"
    case $name in
        chopin) CMD=(env -C "$dir" REUSEPORT=true WORKERS=1 HOST=127.0.0.1 PORT="$PORT"
            RUST_LOG=warn ACCESS_LOG=false STORAGE_URL="file://$dir/files"
            MAX_UPLOAD_BYTES="$MAX" "$BIN/storage-chopin") ;;
        axum) CMD=(env -C "$dir" PORT="$PORT" STORAGE_DIR="$dir/files" MAX_UPLOAD_BYTES="$MAX"
            "$BIN/baseline-axum-upload") ;;
    esac
    taskset -c 0 "${CMD[@]}" >"$WORK/$name.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "$URL/" && return 0
        sleep 0.05
    done
    die "$name did not start: $(cat "$WORK/$name.log")"
}

stop() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

ROWS=$WORK/rows.tsv
: >"$ROWS"
for round in $(seq "$ROUNDS"); do
    for name in chopin axum; do
        start "$name"
        idle=$(kb VmRSS)
        up=$(taskset -c 1 curl -s -o "$WORK/resp.json" -w '%{time_total}' \
            -H 'expect:' -F "file=@$FILE;filename=big.bin" "$URL/upload")
        key=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["key"])' "$WORK/resp.json") ||
            die "$name: the upload failed: $(cat "$WORK/resp.json")"
        down=$(taskset -c 1 curl -s -o "$WORK/back.bin" -w '%{time_total}' "$URL/files/$key")
        cmp -s "$FILE" "$WORK/back.bin" || die "$name: the download differs from the upload"
        peak=$(kb VmHWM)
        stop
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$up" "$down" "$idle" "$peak" >>"$ROWS"
        rm -f "$WORK/back.bin"
    done
done

python3 - "$ROWS" "$SIZE_MB" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
mb = float(sys.argv[2]) * 1.048576
best = {}
for name, _, up, down, idle, peak in rows:
    b = best.setdefault(name, {"up": 0.0, "down": 0.0, "idle": 1e18, "peak": 0})
    b["up"] = max(b["up"], mb / float(up))
    b["down"] = max(b["down"], mb / float(down))
    b["idle"] = min(b["idle"], int(idle))
    b["peak"] = max(b["peak"], int(peak))
print(f"{sys.argv[2]} MiB file, best of {len(rows) // 2} rounds (MB/s; RSS in MiB)")
print(f"{'server':<8} {'upload':>8} {'download':>9} {'idle RSS':>9} {'peak RSS':>9} {'peak-idle':>9}")
for name in ("chopin", "axum"):
    b = best[name]
    print(f"{name:<8} {b['up']:8.0f} {b['down']:9.0f} {b['idle']/1024:9.1f} {b['peak']/1024:9.1f} {(b['peak']-b['idle'])/1024:9.1f}")
c, a = best["chopin"], best["axum"]
print(f"chopin/axum: upload {c['up']/a['up']:.2f}x, download {c['down']/a['down']:.2f}x")
PY
