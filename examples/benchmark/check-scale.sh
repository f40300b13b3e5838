#!/usr/bin/env bash
# The whole-application check at scale: a generated application of M modules of 20 routes each
# (2 fast routes and 18 handlers over three resources, one module a file), built as Chopin modules
# and as the same handlers on a plain axum `Router`, in the same run.
#
#   bash examples/benchmark/check-scale.sh              # SIZES="10 100 200" REPEATS=1
#   SIZES="100" REPEATS=3 bash examples/benchmark/check-scale.sh
#
# For each size it reports the application crate's own build time (dependencies already built,
# `CARGO_INCREMENTAL=0`), for Chopin (its module list declared with `chopin::modules!`, as an
# application is written) and for axum; the time of the check itself (the same Chopin
# application built with `chopin::assert_app!` over all its modules, which evaluates the check once
# more, minus without it); and an incremental rebuild after one handler's body is edited. No lint is allowed:
# a check that ran too long would fail the build. Rows are the best of REPEATS.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIZES=${SIZES:-"10 100 200"}
REPEATS=${REPEATS:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/chopin-check-scale.XXXXXX")
# KEEP=1 keeps the generated crates (and their target directory) to look into.
if [ -n "${KEEP:-}" ]; then echo "the generated crates: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
export CARGO_TERM_COLOR=never
mkdir -p "$root/examples/benchmark/results"
# One target directory for every generated crate of a kind, so dependencies build once.
export CARGO_TARGET_DIR="$work/target"

profile='
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
'

# $1 = kind (chopin, chopin-asserted, axum), $2 = modules: writes the crate to $work/$1-$2.
generate() {
    local kind=$1 m=$2 dir="$work/$1-$2"
    mkdir -p "$dir/src"
    local deps
    if [ "$kind" = axum ]; then
        deps='axum = "0.8"'
    else
        deps="chopin = { path = \"$root\", default-features = false }"
    fi
    cat > "$dir/Cargo.toml" <<EOF
[package]
name = "app-$kind-$m"
version = "0.1.0"
edition = "2024"

[dependencies]
$deps
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "net"] }

[workspace]
$profile
EOF
    cp "$root/Cargo.lock" "$dir/Cargo.lock"
    local i
    for i in $(seq 0 $((m - 1))); do
        if [ "$kind" = axum ]; then
            axum_module "$i" > "$dir/src/m$i.rs"
        else
            chopin_module "$i" > "$dir/src/m$i.rs"
        fi
    done
    {
        for i in $(seq 0 $((m - 1))); do echo "mod m$i;"; done
        if [ "$kind" = axum ]; then
            echo '#[tokio::main]'
            echo 'async fn main() {'
            echo '    let app = axum::Router::new()'
            for i in $(seq 0 $((m - 1))); do echo "        .merge(m$i::router())"; done
            echo '        ;'
            echo '    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();'
            echo '    axum::serve(listener, app).await.unwrap();'
            echo '}'
        else
            echo 'use chopin::prelude::*;'
            echo 'chopin::modules! {'
            echo '    pub type Modules = ['
            for i in $(seq 0 $((m - 1))); do echo "        m$i::M$i,"; done
            echo '    ];'
            echo '}'
            echo '#[tokio::main]'
            echo 'async fn main() -> Result<(), chopin::Error> {'
            echo '    let app: App<(), Modules> = App::new().await?'
            for i in $(seq 0 $((m - 1))); do echo "        .mount_module(m$i::M$i)"; done
            echo '        ;'
            echo '    app.run().await'
            echo '}'
            if [ "$kind" = chopin-asserted ]; then
                echo 'chopin::assert_app!('
                for i in $(seq 0 $((m - 1))); do echo "    m$i::M$i,"; done
                echo ');'
            fi
        fi
    } > "$dir/src/main.rs"
}

chopin_module() {
    local i=$1
    cat <<EOF
use chopin::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub id: u64,
    pub name: String,
}

pub struct M$i;

#[chopin::module(name = "m$i", prefix = "/m$i")]
impl M$i {
    #[fast_route("/health", text)]
    const HEALTH: &'static str = "ok";

    #[fast_route("/version", json)]
    const VERSION: &'static str = r#"{"version":$i}"#;
EOF
    local r
    for r in a b c; do
        cat <<EOF

    #[get("/$r")]
    async fn list_$r() -> Json<Vec<Item>> {
        Json(vec![Item { id: $i, name: "$r".to_owned() }])
    }

    #[get("/$r/{id}")]
    async fn show_$r(Path(id): Path<u64>) -> Json<Item> {
        Json(Item { id, name: "$r".to_owned() })
    }

    #[post("/$r")]
    async fn create_$r(Json(item): Json<Item>) -> Created<Item> {
        Created::new(item)
    }

    #[put("/$r/{id}")]
    async fn replace_$r(Path(id): Path<u64>, Json(item): Json<Item>) -> Json<Item> {
        Json(Item { id, name: item.name })
    }

    #[patch("/$r/{id}/name")]
    async fn rename_$r(Path(id): Path<u64>, name: String) -> Json<Item> {
        Json(Item { id, name })
    }

    #[delete("/$r/{id}")]
    async fn delete_$r(Path(id): Path<u64>) -> NoContent {
        let _ = id;
        NoContent
    }
EOF
    done
    echo '}'
}

axum_module() {
    local i=$1
    cat <<EOF
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub name: String,
}
EOF
    local r
    for r in a b c; do
        cat <<EOF

async fn list_$r() -> Json<Vec<Item>> {
    Json(vec![Item { id: $i, name: "$r".to_owned() }])
}

async fn show_$r(Path(id): Path<u64>) -> Json<Item> {
    Json(Item { id, name: "$r".to_owned() })
}

async fn create_$r(Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    (StatusCode::CREATED, Json(item))
}

async fn replace_$r(Path(id): Path<u64>, Json(item): Json<Item>) -> Json<Item> {
    Json(Item { id, name: item.name })
}

async fn rename_$r(Path(id): Path<u64>, name: String) -> Json<Item> {
    Json(Item { id, name })
}

async fn delete_$r(Path(id): Path<u64>) -> StatusCode {
    let _ = id;
    StatusCode::NO_CONTENT
}
EOF
    done
    echo
    echo 'pub fn router() -> Router {'
    echo '    Router::new()'
    echo "        .route(\"/m$i/health\", get(|| async { \"ok\" }))"
    echo "        .route(\"/m$i/version\", get(|| async { r#\"{\"version\":$i}\"# }))"
    for r in a b c; do
        echo "        .route(\"/m$i/$r\", get(list_$r))"
        echo "        .route(\"/m$i/$r/{id}\", get(show_$r))"
        echo "        .route(\"/m$i/$r\", post(create_$r))"
        echo "        .route(\"/m$i/$r/{id}\", put(replace_$r))"
        echo "        .route(\"/m$i/$r/{id}/name\", patch(rename_$r))"
        echo "        .route(\"/m$i/$r/{id}\", delete(delete_$r))"
    done
    echo '}'
}

# Seconds (one decimal) since $1.
since() { echo "$1 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}'; }
best() { printf '%s\n' "$@" | sort -n | head -1; }
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }

# The package's own build, its dependencies built already, without incremental compilation.
own_build() {
    local dir=$1 start
    (cd "$dir" && cargo clean --offline --quiet -p "$(basename "$dir" | sed 's/^/app-/')" 2>/dev/null || true)
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_INCREMENTAL=0 cargo build --offline --quiet 2>"$dir/build.log") || {
        cat "$dir/build.log" >&2
        echo "error: $dir does not build" >&2
        exit 1
    }
    since "$start"
}

# An incremental rebuild after editing one handler's body.
incremental() {
    local dir=$1 n=$2 start
    sed -i "s/name: \"a\".to_owned() })\$/name: \"a$n\".to_owned() })/; s/name: \"a[0-9]*\".to_owned() })\$/name: \"a$n\".to_owned() })/" "$dir/src/m0.rs"
    start=$(date +%s.%N)
    (cd "$dir" && cargo build --offline --quiet 2>"$dir/build.log")
    since "$start"
}

rows=()
for m in $SIZES; do
    for kind in axum chopin chopin-asserted; do generate "$kind" "$m"; done
    echo "$m modules: building dependencies" >&2
    for kind in axum chopin chopin-asserted; do
        (cd "$work/$kind-$m" && cargo build --offline --quiet 2>"$work/$kind-$m/build.log") || {
            cat "$work/$kind-$m/build.log" >&2
            exit 1
        }
    done
    ax=() ch=() un=() axi=() chi=()
    for i in $(seq 1 "$REPEATS"); do
        echo "$m modules: round $i" >&2
        ax+=("$(own_build "$work/axum-$m")")
        ch+=("$(own_build "$work/chopin-$m")")
        un+=("$(own_build "$work/chopin-asserted-$m")")
        axi+=("$(incremental "$work/axum-$m" "$i")")
        chi+=("$(incremental "$work/chopin-$m" "$i")")
    done
    a=$(best "${ax[@]}") c=$(best "${ch[@]}") u=$(best "${un[@]}")
    ai=$(best "${axi[@]}") ci=$(best "${chi[@]}")
    check=$(echo "$u $c" | awk '{d = $1 - $2; if (d < 0) d = 0; printf "%.1f", d}')
    rows+=("| $m × 20 = $((m * 20)) | ${a} s | ${c} s ($(ratio "$c" "$a")×) | ${check} s | ${ai} s | ${ci} s ($(ratio "$ci" "$ai")×) |")
done

{
    echo "# The check at scale ($(date -u +%Y-%m-%d), $(nproc) cores, $(rustc --version))"
    echo
    echo "\`SIZES=\"$SIZES\" REPEATS=$REPEATS bash examples/benchmark/check-scale.sh\`; the application crate alone (dependencies built, \`CARGO_INCREMENTAL=0\`); best of $REPEATS."
    echo
    echo "| modules × routes | axum build | Chopin build | the check | axum incremental | Chopin incremental |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
} | tee "$root/examples/benchmark/results/check-scale.md"
