#!/usr/bin/env bash
# The TechEmpower suite, timed: Chopin against axum + sqlx and the ceiling (tokio + httparse +
# tokio-postgres), per test type, as requests per server CPU-second.
# Usage: [DURATION=10] [REPEATS=3] [PORT=8080] [POOL=16] [QUERIES=20] [TESTS="json plaintext …"] \
#        [DATABASE_URL=postgres://postgres@127.0.0.1:5432/techempower] bash examples/techempower/run.sh
# (see README.md)
#
# First verify.sh checks every server against the rules on a freshly seeded database. Then, round
# after round, each server runs alone pinned to CPU 0 and answers every test; wrk and PostgreSQL
# share CPU 1. For every run we record wrk's request count and p99 and the server's CPU time
# (utime + stime from /proc/PID/stat). Each row of the table is the server's best round.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
ROOT=$(cd "$TFB_DIR/../.." && pwd)
DURATION=${DURATION:-10}
REPEATS=${REPEATS:-3}
PORT=${PORT:-8080}
POOL=${POOL:-16}
QUERIES=${QUERIES:-20}
TESTS=${TESTS:-json plaintext db queries fortunes updates cached-queries fast-json fast-plaintext}
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/techempower}
CONNECTIONS=64
DEPTH=16
RESULTS=$TFB_DIR/results

[[ $(nproc) -ge 2 ]] || die "needs at least 2 CPUs (server on CPU 0, wrk and PostgreSQL on CPU 1)"
if ! command -v wrk >/dev/null; then
    echo "installing wrk..." >&2
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

cd "$ROOT"
PROFILE=release PORT=$PORT POOL=$POOL DATABASE_URL=$DATABASE_URL bash "$TFB_DIR/verify.sh"
BIN=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release

# PostgreSQL on the client's CPU: the postmaster and every backend, and the backends it forks
# for the servers' connections inherit it. Put back as it was at the end.
PG_PIDS=$(pgrep -x postgres || pgrep -f 'postgres:' || true)
[[ -n $PG_PIDS ]] || die "no PostgreSQL process on this machine: the suite needs it local, to pin it to CPU 1"
PG_MASK=$(taskset -p "$(head -1 <<<"$PG_PIDS")" | sed 's/.*: //')
pin_postgres() { local p; for p in $(pgrep -x postgres || pgrep -f 'postgres:'); do taskset -p "$1" "$p" >/dev/null 2>&1 || true; done; }

mkdir -p "$RESULTS"
rm -f "$RESULTS"/wrk-*.txt "$RESULTS"/server-*.log
ROWS=$RESULTS/rows.tsv
: >"$ROWS"
RUN_DIR=$(mktemp -d)
trap 'stop_server; pin_postgres "$PG_MASK"; rm -rf "$RUN_DIR"' EXIT
pin_postgres 2

# The path of each test, and whether it is pipelined (TechEmpower pipelines plaintext 16 deep).
test_path() {
    case $1 in
        json) echo /json ;;
        plaintext) echo /plaintext ;;
        db) echo /db ;;
        queries) echo "/queries?queries=$QUERIES" ;;
        fortunes) echo /fortunes ;;
        updates) echo "/updates?queries=$QUERIES" ;;
        cached-queries) echo "/cached-queries?count=100" ;;
        fast-json) echo /fast/json ;;
        fast-plaintext) echo /fast/plaintext ;;
        *) die "unknown test $1" ;;
    esac
}
depth_of() { [[ $1 == plaintext || $1 == fast-plaintext ]] && echo "$DEPTH" || echo 1; }
# The precomputed fast routes are Chopin's alone.
serves() { [[ $2 != fast-* || $1 == chopin ]]; }

# CPU seconds (user + system, all threads) the process has used so far. Fields 14 and 15 of
# /proc/PID/stat, counted from after the command name, which may hold spaces.
cpu_seconds() {
    awk -v tck="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f\n", ($12 + $13) / tck }' "/proc/$1/stat"
}

load() { # duration path depth
    local script=() args=("http://127.0.0.1:$PORT$2")
    if [[ $3 -gt 1 ]]; then
        script=(-s "$ROOT/examples/benchmark/pipeline.lua")
        args+=(-- "$3")
    fi
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"$1"s --latency "${script[@]}" "${args[@]}"
}

run_test() { # server test round
    local server=$1 test=$2 path depth out
    path=$(test_path "$test")
    depth=$(depth_of "$test")
    out=$RESULTS/wrk-$test-$server-$3.txt
    load 1 "$path" "$depth" >/dev/null # warm-up: connections, statement caches, the cache
    local cpu0 cpu1
    cpu0=$(cpu_seconds "$SERVER_PID")
    load "$DURATION" "$path" "$depth" >"$out"
    cpu1=$(cpu_seconds "$SERVER_PID")
    local requests errors non2xx p99
    requests=$(sed -n 's/^ *\([0-9]\+\) requests in .*/\1/p' "$out")
    [[ -n $requests ]] || die "cannot read wrk's output: $out"
    errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1+\2+\3+\4/p' "$out")
    if [[ -n $errors ]] && (($errors > 100 && ($errors) * 1000 > requests)); then
        cat "$out" >&2
        die "$test/$server: socket errors $errors (connect+read+write+timeout)"
    fi
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out")
    p99=$(awk '$1 == "99%" { print $2 }' "$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$server" "$requests" "$cpu0" "$cpu1" \
        "${non2xx:-0}" "${p99:-?}" "$DURATION" >>"$ROWS"
    echo "   $test: $requests requests, $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }') s of server CPU" >&2
}

# Rounds run every server through every test, so that a slow minute on the machine spreads over
# all of them instead of landing on one.
for round in $(seq "$REPEATS"); do
    echo "=== round $round of $REPEATS" >&2
    for server in $SERVERS; do
        echo "== $server" >&2
        start_server "$server" 0 "$RESULTS/server-$server-$round.log"
        for test in $TESTS; do
            serves "$server" "$test" && run_test "$server" "$test" "$round"
        done
        stop_server
    done
done

MACHINE="$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r), $(psql "$DATABASE_URL" -qAtc 'SHOW server_version' | sed 's/^/PostgreSQL /')"
COMMAND="DURATION=$DURATION REPEATS=$REPEATS POOL=$POOL QUERIES=$QUERIES bash examples/techempower/run.sh (each server: taskset -c 0; wrk and PostgreSQL: CPU 1; wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, plaintext pipelined x$DEPTH)"

python3 - "$ROWS" "$MACHINE" "$COMMAND" "$QUERIES" >"$RESULTS/latest.md" <<'PY'
import sys

rows_path, machine, command, queries = sys.argv[1:5]
runs = {}
for line in open(rows_path):
    test, server, requests, cpu0, cpu1, non2xx, p99, duration = line.rstrip("\n").split("\t")
    requests, cpu = int(requests), float(cpu1) - float(cpu0)
    runs.setdefault((test, server), []).append(dict(
        requests=requests, cpu=cpu, non2xx=int(non2xx), p99=p99, rps=requests / float(duration),
        per_cpu=requests / cpu if cpu > 0 else 0.0))

def ms(p99):
    for unit, scale in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if p99.endswith(unit):
            return float(p99[: -len(unit)]) * scale
    return None

# Interference only ever adds CPU time: each server's round with the most requests per CPU-second
# is its cost. Its p99 is that round's; the worst round is shown as the spread.
best = {}
for key, rs in runs.items():
    b = dict(max(rs, key=lambda r: r["per_cpu"]))
    b["spread"] = b["per_cpu"] / max(min(r["per_cpu"] for r in rs), 1e-9)
    b["non2xx"] = sum(r["non2xx"] for r in rs)
    b["rounds"] = len(rs)
    best[key] = b

names = {"chopin": "Chopin", "axum": "axum + sqlx", "raw": "ceiling (tokio + httparse + tokio-postgres)"}
titles = {"queries": f"queries ({queries})", "updates": f"updates ({queries})",
          "cached-queries": "cached-queries (100)", "plaintext": "plaintext (pipelined x16)",
          "fast-json": "json, precomputed fast route", "fast-plaintext": "plaintext, precomputed fast route (pipelined x16)"}
order = ["json", "plaintext", "db", "queries", "fortunes", "updates", "cached-queries", "fast-json", "fast-plaintext"]
print(f"Machine: {machine}")
print()
print(f"Command: `{command}`")
print()
print("| test | server | req/s | req per server CPU-s | p99 | Chopin ÷ axum + sqlx (per CPU-s) | Chopin ÷ ceiling (per CPU-s) | Chopin's p99 ÷ axum's |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for test in order:
    for server in ("chopin", "axum", "raw"):
        r = best.get((test, server))
        if not r:
            continue
        flag = f" **{r['non2xx']} non-2xx!**" if r["non2xx"] else ""
        cells = ["", "", ""]
        if server == "chopin":
            base = best.get((test.replace("fast-", ""), "axum"))
            ceil = best.get((test.replace("fast-", ""), "raw"))
            if base:
                cells[0] = f"{r['per_cpu'] / base['per_cpu']:.2f}×"
                a, b = ms(r["p99"]), ms(base["p99"])
                if a is not None and b and "plaintext" not in test:
                    cells[2] = f"{a / b:.2f}×"
            if ceil:
                cells[1] = f"{r['per_cpu'] / ceil['per_cpu']:.2f}×"
        # wrk times a pipelined batch from its first request's write: its latencies mean little.
        p99 = "n/a" if "plaintext" in test else r["p99"]
        print(f"| {titles.get(test, test)} | {names[server]} | {r['rps']:,.0f} | {r['per_cpu']:,.0f} | {p99} "
              f"| {cells[0]} | {cells[1]} | {cells[2]}{flag} |")
print()
spread = max(r["spread"] for r in best.values())
print(f"Best of {max(r['rounds'] for r in best.values())} rounds; the widest gap between a server's best and worst round was {spread:.2f}×.")
PY
cat "$RESULTS/latest.md"
if grep -q 'non-2xx!' "$RESULTS/latest.md"; then
    die "a server answered with errors: see the rows marked non-2xx and $RESULTS"
fi
