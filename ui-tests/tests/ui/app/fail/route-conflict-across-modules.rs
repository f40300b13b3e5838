//! Two modules claim `GET /posts`: the application does not compile, and the message names both
//! handlers and where they are declared.

use chopin::manifest::{check, Access, Manifest, Methods, RouteDecl};

static BLOG: Manifest = Manifest {
    name: "blog",
    type_name: "Blog",
    file: "src/blog.rs",
    line: 3,
    prefix: "",
    requires: &[],
    provides: &[],
    routes: &[RouteDecl {
        methods: Methods::GET,
        path: "/posts",
        handler: "blog::list",
        file: "src/blog.rs",
        line: 10,
        access: Access::Public,
        fast: false,
    }],
};

static FEED: Manifest = Manifest {
    name: "feed",
    type_name: "Feed",
    file: "src/feed.rs",
    line: 2,
    prefix: "",
    requires: &[],
    provides: &[],
    routes: &[RouteDecl {
        methods: Methods::GET,
        path: "/posts",
        handler: "feed::list",
        file: "src/feed.rs",
        line: 7,
        access: Access::Public,
        fast: false,
    }],
};

const _: () = check(&[&BLOG, &FEED]);

fn main() {}
