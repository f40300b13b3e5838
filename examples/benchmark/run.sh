#!/usr/bin/env bash
# Load benchmark of Chopin against plain axum, plain hyper and a hand-written ceiling.
# Usage: [DURATION=10] [PORT=8080] [CASES="plaintext dynamic"] bash examples/benchmark/run.sh
# (see README.md)
#
# Each server runs alone, pinned to CPU 0; wrk runs pinned to CPU 1. For every case we record
# wrk's request count and the server's CPU time over the run (utime+stime from /proc/PID/stat).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
DURATION=${DURATION:-10}
PORT=${PORT:-8080}
CASES=${CASES:-plaintext dynamic}
REPEATS=${REPEATS:-3}
DEPTH=16
CONNECTIONS=64
RESULTS=$BENCH_DIR/results
URL=http://127.0.0.1:$PORT

die() { echo "run.sh: $*" >&2; exit 1; }

[[ $(nproc) -ge 2 ]] || die "needs at least 2 CPUs (server on CPU 0, wrk on CPU 1)"
if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

# Hardware counters, where the machine has them: instruction counts hardly move when a noisy
# neighbour slows the machine down, CPU seconds do.
if ! command -v perf >/dev/null; then
    echo "installing perf..." >&2
    apt-get install -y -qq linux-perf >/dev/null 2>&1 || true
fi
PERF=0
if command -v perf >/dev/null && perf stat -e instructions,cycles true >/dev/null 2>&1; then
    PERF=1
fi

cd "$ROOT"
# hello with the HTTP layer's defaults that need a feature (compression); the others are on in
# every build.
cargo build --release -p hello --features chopin/compression
cargo build --release -p benchmark
BIN=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release

mkdir -p "$RESULTS"
rm -f "$RESULTS"/wrk-*.txt "$RESULTS"/perf-*.txt "$RESULTS"/server-*.log
ROWS=$RESULTS/rows.tsv
: >"$ROWS"
# Servers run in an empty directory: hello reads `.env` from its working directory and parents.
RUN_DIR=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT

# The command line of each server, by name, into CMD. `env` and `taskset` exec, so $! is the
# server process itself.
server_cmd() {
    case $1 in
        # Every default of the HTTP layer on: request ids, compression, the access log at info.
        chopin) CMD=(env REUSEPORT=true WORKERS=1 HOST=127.0.0.1 PORT="$PORT" RUST_LOG=info "$BIN/hello") ;;
        # The same with every default off: what Chopin costs around axum by itself.
        chopin-bare) CMD=(env REUSEPORT=true WORKERS=1 HOST=127.0.0.1 PORT="$PORT" RUST_LOG=info
            REQUEST_ID=false COMPRESSION=false ACCESS_LOG=false "$BIN/hello") ;;
        axum) CMD=(env PORT="$PORT" "$BIN/baseline-axum") ;;
        axum-layers) CMD=(env PORT="$PORT" RUST_LOG=info "$BIN/baseline-axum-layers") ;;
        hyper) CMD=(env PORT="$PORT" "$BIN/baseline-hyper") ;;
        raw) CMD=(env PORT="$PORT" "$BIN/baseline-raw") ;;
        *) die "unknown server $1" ;;
    esac
}

# CPU seconds (user + system, all threads) the process has used so far. Fields 14 and 15 of
# /proc/PID/stat; the comm field (2) may contain spaces, so count from after the last ')'.
cpu_seconds() {
    awk -v tck="$(getconf CLK_TCK)" '{
        sub(/.*\) /, "")  # drop "pid (comm) ": $1 is now field 3, so field 14 is $12, 15 is $13
        printf "%.2f\n", ($12 + $13) / tck
    }' "/proc/$1/stat"
}

# wrk pinned to CPU 1 against PATH; pipelined when DEPTH > 1.
load() { # duration path depth
    local script=()
    [[ $3 -gt 1 ]] && script=(-s "$BENCH_DIR/pipeline.lua")
    local args=("$URL$2")
    [[ $3 -gt 1 ]] && args+=(-- "$3")
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$1"s --latency "${script[@]}" "${args[@]}"
}

run_case() { # case server path depth
    local case=$1 server=$2 path=$3 depth=$4 slug="$1-$2" i
    slug=${slug//[^a-zA-Z0-9]/-}
    echo "== $case: $server" >&2
    curl -s -o /dev/null --max-time 1 "$URL/" && die "port $PORT already answers: stop that server or set PORT"
    server_cmd "$server"
    (cd "$RUN_DIR" && exec taskset -c 0 "${CMD[@]}") >"$RESULTS/server-$slug.log" 2>&1 &
    SERVER_PID=$!
    for i in $(seq 100); do
        curl -s -o /dev/null --max-time 1 "$URL$path" && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "$server exited at start-up: see $RESULTS/server-$slug.log"
        [[ $i -eq 100 ]] && die "$server did not answer on $URL$path within 10 s"
        sleep 0.1
    done
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' "$URL$path")
    [[ $status == 200 ]] || die "$server answers $path with $status, not 200"

    load 1 "$path" "$depth" >/dev/null # warm-up
    local cpu0 cpu1
    cpu0=$(cpu_seconds "$SERVER_PID")
    local perf_pid= perf_out=$RESULTS/perf-$slug.txt
    if ((PERF)); then
        perf stat -x, -e instructions,cycles -p "$SERVER_PID" -o "$perf_out" &
        perf_pid=$!
    fi
    load "$DURATION" "$path" "$depth" >"$RESULTS/wrk-$slug.txt"
    cpu1=$(cpu_seconds "$SERVER_PID")
    local instructions=0 cycles=0
    if [[ -n $perf_pid ]]; then
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
        instructions=$(awk -F, '$3 ~ /^instructions/ { print $1 }' "$perf_out")
        cycles=$(awk -F, '$3 ~ /^cycles/ { print $1 }' "$perf_out")
        # A counter the virtual machine cannot read at that moment reads `<not supported>`.
        [[ $instructions =~ ^[0-9]+$ ]] || instructions=0
        [[ $cycles =~ ^[0-9]+$ ]] || cycles=0
    fi

    kill -TERM "$SERVER_PID"
    for i in $(seq 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        [[ $i -eq 100 ]] && die "$server still running 10 s after SIGTERM"
        sleep 0.1
    done
    wait "$SERVER_PID" || true # a baseline killed by SIGTERM exits 143; that is expected
    SERVER_PID=

    local out requests errors non2xx p99
    out=$(<"$RESULTS/wrk-$slug.txt")
    requests=$(sed -n 's/^ *\([0-9]\+\) requests in .*/\1/p' <<<"$out")
    [[ -n $requests ]] || die "cannot read wrk's output: $RESULTS/wrk-$slug.txt"
    # "Socket errors: connect 0, read 0, write 0, timeout 0" appears only when one is nonzero.
    errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' <<<"$out")
    if [[ -n $errors ]]; then
        read -r e_connect e_read e_write e_timeout <<<"$errors"
        local bad=$((e_connect + e_read + e_write + e_timeout))
        # A few resets as wrk closes its connections at the end are normal; more is a failure.
        if ((bad > 100 && bad * 1000 > requests)); then
            cat "$RESULTS/wrk-$slug.txt" >&2
            die "$case/$server: $bad socket errors ($errors: connect read write timeout)"
        fi
    fi
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$case" "$server" "$requests" "$cpu0" "$cpu1" "${non2xx:-0}" "${p99:-?}" "$DURATION" \
        "${instructions:-0}" "${cycles:-0}" >>"$ROWS"
}

# Repeats run the whole set again rather than one case N times, so that a slow minute on the
# machine spreads over every server instead of landing on one.
for repeat in $(seq "$REPEATS"); do
    echo "=== round $repeat of $REPEATS" >&2
    for depth in 1 "$DEPTH"; do
        if [[ $depth -eq 1 ]]; then mode=unpipelined; else mode="pipelined x$depth"; fi
        if [[ " $CASES " == *" plaintext "* ]]; then
            for server in chopin axum hyper raw; do
                run_case "plaintext, $mode" "$server" /plaintext "$depth"
            done
        fi
        if [[ " $CASES " == *" dynamic "* ]]; then
            for server in chopin axum-layers chopin-bare axum; do
                run_case "/users/42, $mode" "$server" /users/42 "$depth"
            done
        fi
    done
done

MACHINE="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r)"
COMMAND="DURATION=$DURATION REPEATS=$REPEATS PORT=$PORT CASES='$CASES' bash examples/benchmark/run.sh (each server: taskset -c 0; client: taskset -c 1 wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency [-s pipeline.lua -- $DEPTH])"

python3 - "$ROWS" "$MACHINE" "$COMMAND" >"$RESULTS/latest.md" <<'PY'
import statistics
import sys

rows_path, machine, command = sys.argv[1:4]
runs = {}

def count(field):
    # Rounds whose counters could not be read count 0, and are left out of the median.
    return int(field) if field.isdigit() else 0

for line in open(rows_path):
    case, server, requests, cpu0, cpu1, non2xx, p99, duration, ins, cyc = line.rstrip("\n").split("\t")
    requests, cpu = int(requests), float(cpu1) - float(cpu0)
    runs.setdefault((case, server), []).append(dict(
        requests=requests, cpu=cpu, non2xx=int(non2xx), p99=p99, rps=requests / float(duration),
        us_per_req=cpu * 1e6 / requests, ins=count(ins) / requests, cyc=count(cyc) / requests))

# Interference only ever adds CPU time, so each server's best round is its cost; instruction
# counts barely move between rounds, so their median is shown.
rows = []
for (case, server), rs in runs.items():
    best = dict(min(rs, key=lambda r: r["us_per_req"]))
    best.update(case=case, server=server, rounds=len(rs), non2xx=sum(r["non2xx"] for r in rs),
                ins=statistics.median([r["ins"] for r in rs if r["ins"]] or [0]),
                spread=max(r["us_per_req"] for r in rs) / best["us_per_req"])
    best["per_cpu"] = 1e6 / best["us_per_req"]
    rows.append(best)
by = {(r["case"], r["server"]): r for r in rows}

def ratio(r):
    def vs(other, label, inverse):
        o = by.get((r["case"], other))
        if not o:
            return None
        t = (r["us_per_req"] / o["us_per_req"]) if inverse else (o["us_per_req"] / r["us_per_req"])
        text = f"{t:.2f}x {label}"
        if r["ins"] and o["ins"]:
            i = (r["ins"] / o["ins"]) if inverse else (o["ins"] / r["ins"])
            text += f" ({i:.2f}x by instructions)"
        return text
    if r["case"].startswith("plaintext"):
        if r["server"] == "raw":
            return "ceiling"
        parts = [vs("raw", "raw", False)]
        if r["server"] == "chopin":
            parts.append(vs("axum", "axum", False))
        return ", ".join(p for p in parts if p)
    if r["server"] == "axum":
        return "reference"
    if r["server"] == "axum-layers":
        return vs("axum", "axum CPU/req (the layers' cost in axum)", True) or ""
    if r["server"] == "chopin":
        parts = [vs("axum-layers", "axum-layers CPU/req", True), vs("chopin-bare", "chopin-bare (the defaults' cost)", True)]
        return ", ".join(p for p in parts if p)
    return vs("axum", "axum CPU/req", True) or ""

print(f"Machine: {machine}")
print()
print(f"Command: `{command}`")
print()
print("| case | server | req/s | req per CPU-s | µs CPU/req | instructions/req | p99 latency | ratio |")
print("|---|---|---:|---:|---:|---:|---:|---|")
for r in rows:
    flag = f" **{r['non2xx']} non-2xx!**" if r["non2xx"] else ""
    p99 = r["p99"] if "unpipelined" in r["case"] else "n/a"
    ins = f"{r['ins']:,.0f}" if r["ins"] else "n/a"
    print(f"| {r['case']} | {r['server']} | {r['rps']:,.0f} | {r['per_cpu']:,.0f} | {r['us_per_req']:.2f} "
          f"| {ins} | {p99} | {ratio(r)}{flag} |")
print()
spread = max(r["spread"] for r in rows)
print(f"Each row is the server's best of {max(r['rounds'] for r in rows)} rounds by CPU per request "
      f"(the worst round of any row cost {spread:.2f}x its best: that is the machine's noise).")
print("Plaintext ratios: req per CPU-s relative to the raw ceiling (and for chopin, to axum) in the same mode;")
print("higher is better. /users/42 ratios: server CPU per request relative to the baseline named; lower is better.")
print("chopin and axum-layers run request ids, compression and an access log line per request at info;")
print("chopin-bare and axum run none of them.")
print("Instructions are counted by `perf stat` over the whole server process, kernel included.")
print("p99 latency is wrk's; wrk cannot time the individual requests of a pipelined batch.")
PY
cat "$RESULTS/latest.md"
echo "written to $RESULTS/latest.md" >&2
if awk -F'\t' '$6 != 0 { found = 1 } END { exit !found }' "$ROWS"; then
    die "some servers answered with non-2xx responses: see the marked rows"
fi
