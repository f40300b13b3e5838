//! A composed application whose manifests agree is checked in a `const` without complaint.

use chopin::manifest::{check, Access, Manifest, Methods, RouteDecl, AUTH_CAPABILITY};

const fn route(methods: Methods, path: &'static str, handler: &'static str, access: Access) -> RouteDecl {
    RouteDecl { methods, path, handler, file: file!(), line: line!(), access, fast: false }
}

static AUTH: Manifest = Manifest {
    name: "auth",
    type_name: "AuthModule",
    file: file!(),
    line: line!(),
    prefix: "/auth",
    requires: &[],
    provides: &[AUTH_CAPABILITY],
    routes: &[route(Methods::POST, "/auth/login", "auth::login", Access::Public)],
};

static BLOG: Manifest = Manifest {
    name: "blog",
    type_name: "Blog",
    file: file!(),
    line: line!(),
    prefix: "/blog",
    requires: &["auth"],
    provides: &[],
    routes: &[
        route(Methods::GET, "/blog/posts/{id}", "blog::show", Access::Public),
        route(Methods::GET, "/blog/posts/latest", "blog::latest", Access::Public),
        route(Methods::DELETE, "/blog/posts/{id}", "blog::delete", Access::Role("admin")),
    ],
};

const _: () = check(&[&AUTH, &BLOG]);

fn main() {}
