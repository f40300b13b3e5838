#!/usr/bin/env bash
# Build time, measured like speed: a kernel-only Chopin application (`chopin` without default
# features: one module with two fast routes, a `Path` route and a `Json` route) against the same
# four routes in plain axum, built in the same run from empty target directories, and reported
# as a ratio. Also the default-featured blog, clean.
#
#   bash examples/benchmark/build-time.sh            # REPEATS=2 BLOG=1
#   REPEATS=3 BLOG=0 bash examples/benchmark/build-time.sh
#
# Each application is its own package outside the workspace, with the workspace's Cargo.lock (the
# same crate versions) and its dev profile, built `--offline` from the local registry cache (run
# `cargo fetch` in the workspace first if the cache is cold). Clean builds alternate between the
# two so that a noisy neighbour slows both; each row is the best of REPEATS (noise only adds
# time). The incremental rebuild edits one handler's body and builds again.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
REPEATS=${REPEATS:-2}
BLOG=${BLOG:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/chopin-build-time.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CARGO_TERM_COLOR=never
mkdir -p "$root/examples/benchmark/results"

profile='
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
'

# The same routes, twice: `/json` and `/plaintext` answered with constant bodies, `/users/{id}`
# with a `Path`, `POST /users` with a `Json` body.
mkdir -p "$work/axum-app/src" "$work/chopin-app/src"
cat > "$work/axum-app/Cargo.toml" <<EOF
[package]
name = "axum-app"
version = "0.1.0"
edition = "2024"

[dependencies]
axum = "0.8"
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread", "net"] }

[workspace]
$profile
EOF
cat > "$work/axum-app/src/main.rs" <<'EOF'
use axum::extract::Path;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
}

async fn user(Path(id): Path<u64>) -> Json<User> {
    Json(User { id, name: format!("user {id}") })
}

async fn create(Json(user): Json<User>) -> Json<User> {
    Json(user)
}

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/json", get(|| async { r#"{"message":"Hello, World!"}"# }))
        .route("/plaintext", get(|| async { "Hello, World!" }))
        .route("/users/{id}", get(user))
        .route("/users", axum::routing::post(create));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
EOF
cat > "$work/chopin-app/Cargo.toml" <<EOF
[package]
name = "chopin-app"
version = "0.1.0"
edition = "2024"

[dependencies]
chopin = { path = "$root", default-features = false }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
$profile
EOF
cat > "$work/chopin-app/src/main.rs" <<'EOF'
use chopin::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, ToSchema)]
struct User {
    id: u64,
    name: String,
}

struct Hello;

#[chopin::module]
impl Hello {
    #[fast_route("/json", json)]
    const JSON: &'static str = r#"{"message":"Hello, World!"}"#;

    #[fast_route("/plaintext", text)]
    const PLAINTEXT: &'static str = "Hello, World!";

    #[get("/users/{id}")]
    async fn user(Path(id): Path<u64>) -> Json<User> {
        Json(User { id, name: format!("user {id}") })
    }

    #[post("/users")]
    async fn create(Json(user): Json<User>) -> Json<User> {
        Json(user)
    }
}

#[tokio::main]
async fn main() -> Result<(), chopin::Error> {
    App::new().await?.mount_module(Hello).run_command().await
}
EOF
cp "$root/Cargo.lock" "$work/axum-app/Cargo.lock"
cp "$root/Cargo.lock" "$work/chopin-app/Cargo.lock"

# Seconds (one decimal) of `cargo build` for the package in $1, from an empty target directory.
clean_build() {
    local dir=$1
    rm -rf "$dir/target"
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && cargo build --offline --quiet 2>"$dir/build.log") || {
        cat "$dir/build.log" >&2
        echo "error: $dir does not build" >&2
        exit 1
    }
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.1f", $2 - $1}'
}

# Seconds of an incremental `cargo build` after editing one handler's body.
incremental_build() {
    local dir=$1 n=$2
    sed -i "s/format!(\"user {id}\")/format!(\"user {id} $n\")/; s/format!(\"user {id} [0-9]*\")/format!(\"user {id} $n\")/" "$dir/src/main.rs"
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && cargo build --offline --quiet 2>"$dir/build.log")
    end=$(date +%s.%N)
    echo "$start $end" | awk '{printf "%.1f", $2 - $1}'
}

best() { printf '%s\n' "$@" | sort -n | head -1; }
crates() { (cd "$1" && cargo tree --offline --prefix none -e normal,build --no-dedupe 2>/dev/null | sort -u | wc -l); }

axum_clean=() chopin_clean=() axum_incr=() chopin_incr=()
for i in $(seq 1 "$REPEATS"); do
    echo "round $i: clean builds" >&2
    axum_clean+=("$(clean_build "$work/axum-app")")
    chopin_clean+=("$(clean_build "$work/chopin-app")")
    echo "round $i: incremental builds" >&2
    axum_incr+=("$(incremental_build "$work/axum-app" "$i")")
    chopin_incr+=("$(incremental_build "$work/chopin-app" "$i")")
done

a=$(best "${axum_clean[@]}") c=$(best "${chopin_clean[@]}")
ai=$(best "${axum_incr[@]}") ci=$(best "${chopin_incr[@]}")
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }

{
    echo "# Build time ($(date -u +%Y-%m-%d), $(nproc) cores, $(rustc --version))"
    echo
    echo "\`REPEATS=$REPEATS BLOG=$BLOG bash examples/benchmark/build-time.sh\`; best of $REPEATS, clean = from an empty target directory, dependencies included."
    echo
    echo "| application | crates | clean build | incremental (one handler edited) |"
    echo "|---|---:|---:|---:|"
    echo "| plain axum, 4 routes | $(crates "$work/axum-app") | ${a} s | ${ai} s |"
    echo "| Chopin kernel only (\`default-features = false\`), the same 4 routes | $(crates "$work/chopin-app") | ${c} s ($(ratio "$c" "$a")×) | ${ci} s ($(ratio "$ci" "$ai")×) |"
    if [ "$BLOG" = 1 ]; then
        echo "round: the blog, clean" >&2
        blog_target="$work/target-blog"
        start=$(date +%s.%N)
        (cd "$root" && CARGO_TARGET_DIR="$blog_target" cargo build --offline --quiet -p blog 2>"$work/blog.log") || {
            cat "$work/blog.log" >&2
            exit 1
        }
        end=$(date +%s.%N)
        b=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
        blog_crates=$(cd "$root" && cargo tree --offline -p blog --prefix none -e normal,build --no-dedupe 2>/dev/null | sort -u | wc -l)
        echo "| \`examples/blog\` (default features: SQLite, PostgreSQL, Redis, AuthModule) | $blog_crates | ${b} s ($(ratio "$b" "$a")×) | |"
    fi
} | tee "$root/examples/benchmark/results/build-time.md"
