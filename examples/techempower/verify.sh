#!/usr/bin/env bash
# Checks each server against the TechEmpower rules (verify.py), on a freshly seeded database.
# Usage: [DATABASE_URL=postgres://…/techempower] [PROFILE=release] [PORT=8080] \
#        bash examples/techempower/verify.sh [chopin axum raw]
# It builds the servers (PROFILE=debug reuses a debug build), creates the database if it is
# missing, lets Chopin's binary create and fill the tables (`migrate`, `seed`), then starts each
# server alone and runs verify.py against it. Exits non-zero when a server breaks a rule.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
ROOT=$(cd "$TFB_DIR/../.." && pwd)
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/techempower}
PROFILE=${PROFILE:-release}
PORT=${PORT:-8080}
POOL=${POOL:-16}
WANT=${*:-$SERVERS}

cd "$ROOT"
profile=()
[[ $PROFILE == release ]] && profile=(--release)
packages=(-p techempower)
[[ $WANT != chopin ]] && packages+=(-p techempower-baselines)
cargo build --locked --quiet "${profile[@]}" "${packages[@]}"
BIN=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/$PROFILE

RUN_DIR=$(mktemp -d)
trap 'stop_server; rm -rf "$RUN_DIR"' EXIT
seed_database
failed=0
for server in $WANT; do
    echo "== verify $server" >&2
    start_server "$server" "" "$RUN_DIR/$server.log"
    fast=()
    [[ $server == chopin ]] && fast=(--fast)
    python3 "$TFB_DIR/verify.py" "http://127.0.0.1:$PORT" "$DATABASE_URL" "${fast[@]}" || failed=1
    stop_server
done
exit "$failed"
