#!/usr/bin/env bash
# Regenerates the API description snapshots that new projects start with, after a change to what
# they describe (AuthModule's routes, the notes feature, how operations are described): renders
# each kind of project with the `chopin` command built from this checkout, lets its own snapshot
# test write the snapshot, and brings it back with the project's name as a template variable.
# Read the diff before committing it; CI (`.ci/new-project`) fails while a snapshot is stale.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/.." && pwd)"
cd "$root"
cargo build --quiet -p chopin-cli
target="${CARGO_TARGET_DIR:-$root/target}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

render() { # kind, chopin new flags...
  local kind="$1" snap
  shift
  (cd "$scratch" && "$target/debug/chopin" new "$kind" --chopin-path "$root" "$@" >/dev/null)
  rm "$scratch/$kind/tests/snapshots/openapi__spec.snap"
  (cd "$scratch/$kind" && CARGO_TARGET_DIR="$target" INSTA_UPDATE=always \
    cargo test --quiet --offline --test openapi >/dev/null)
  snap="$scratch/$kind/tests/snapshots/openapi__spec.snap"
  grep -q "\"title\": \"$kind\"" "$snap"
  sed "s/\"title\": \"$kind\"/\"title\": \"{{ name }}\"/" "$snap"
}

render snapshot-auth >"$here/tests/snapshots/openapi__spec.snap.jinja"
render snapshot-no-auth --no-auth >"$here/tests/snapshots/openapi__spec.no-auth.snap.jinja"
git -C "$root" diff --stat -- "$here/tests/snapshots"
