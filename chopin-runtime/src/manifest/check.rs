//! The whole-application check: a `const fn` over the mounted modules' manifests.

use chopin_pattern::{conflicts, same};

use super::msg::Msg;
use super::{AUTH_CAPABILITY, Manifest, RouteDecl};
use crate::auth::Access;

/// Checks a composed application, panicking with a message that names both sides of the first
/// mistake. In a `const` this is a compile error; at run time, a panic at start-up.
///
/// Its cost is near-linear in routes, since it runs in the const interpreter (about a thousand
/// times slower than native code, and linted past a few million steps): routes are bucketed by
/// the hash of their shape ([`RouteDecl::shape`], computed once per module when its manifest is
/// evaluated), so only routes that may conflict are compared; a catch-all is compared with the
/// routes that have a parameter in its place, found by hash the same way. The scratch tables
/// grow with the application, in steps, up to hundreds of thousands of routes.
pub const fn check(modules: &[&Manifest]) {
    let mut routes = 0;
    let mut i = 0;
    while i < modules.len() {
        routes += modules[i].routes.len();
        i += 1;
    }
    // Tables twice the size of what they hold, in a few fixed sizes: a const generic cannot
    // follow the application's size, and one size for all would make small applications pay.
    let n = if routes > modules.len() {
        routes
    } else {
        modules.len()
    };
    if n <= 64 {
        Checker::<128>::run(modules);
    } else if n <= 512 {
        Checker::<1024>::run(modules);
    } else if n <= 4096 {
        Checker::<8192>::run(modules);
    } else if n <= 32_768 {
        Checker::<65_536>::run(modules);
    } else if n <= 262_144 {
        Checker::<524_288>::run(modules);
    } else {
        fail(
            &Msg::new()
                .push("an application of more than 262144 routes and modules cannot be checked (it has ")
                .push_u32(if n > u32::MAX as usize { u32::MAX } else { n as u32 })
                .push(")"),
        );
    }
}

/// An empty slot of a [`Table`].
const EMPTY: u64 = u64::MAX;

/// An open-addressing table from hashes to values (`module << 32 | index`), `N` a power of two
/// at least twice what it holds.
struct Table<const N: usize> {
    hashes: [u64; N],
    values: [u64; N],
}

impl<const N: usize> Table<N> {
    const fn new() -> Table<N> {
        Table {
            hashes: [0; N],
            values: [EMPTY; N],
        }
    }

    /// Where the probe for `hash` starts.
    const fn start(hash: u64) -> usize {
        ((hash ^ (hash >> 31)) as usize) & (N - 1)
    }

    const fn next(slot: usize) -> usize {
        (slot + 1) & (N - 1)
    }

    /// The value at `slot` if it holds `hash`; `None` if it holds another hash. An empty slot
    /// ends a probe: see [`Table::is_empty`].
    const fn at(&self, slot: usize, hash: u64) -> Option<u64> {
        if self.values[slot] != EMPTY && self.hashes[slot] == hash {
            Some(self.values[slot])
        } else {
            None
        }
    }

    const fn is_empty(&self, slot: usize) -> bool {
        self.values[slot] == EMPTY
    }

    /// Puts `value` at the end of `hash`'s probe, which the caller has walked to `slot`.
    const fn put(&mut self, slot: usize, hash: u64, value: u64) {
        self.hashes[slot] = hash;
        self.values[slot] = value;
    }
}

/// A module and one of its routes, as tables hold them.
const fn pack(module: usize, route: usize) -> u64 {
    ((module as u64) << 32) | route as u64
}

const fn unpack(value: u64) -> (usize, usize) {
    ((value >> 32) as usize, (value & 0xffff_ffff) as usize)
}

/// FNV-1a of a name, for the tables of module names and route names.
const fn name_hash(name: &str) -> u64 {
    let b = name.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        hash = (hash ^ b[i] as u64).wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The whole-application check with tables of `N` slots.
struct Checker<const N: usize>;

impl<const N: usize> Checker<N> {
    const fn run(modules: &[&Manifest]) {
        let auth_provided = Checker::<N>::modules(modules);
        Checker::<N>::routes(modules, auth_provided);
    }

    /// Names, capabilities and requirements of the modules; whether one provides `auth`.
    const fn modules(modules: &[&Manifest]) -> bool {
        let mut names = Table::<N>::new();
        let mut capabilities = Table::<N>::new();
        let mut i = 0;
        while i < modules.len() {
            let m = modules[i];
            if m.standalone {
                // A route declared on its own: no name to be unique, nothing it requires.
                i += 1;
                continue;
            }
            let hash = name_hash(m.name);
            let mut slot = Table::<N>::start(hash);
            while !names.is_empty(slot) {
                if let Some(j) = names.at(slot, hash)
                    && same(modules[j as usize].name, m.name)
                {
                    let first = modules[j as usize];
                    fail(
                        &Msg::new()
                            .push("two modules are named `")
                            .push(m.name)
                            .push("`: ")
                            .declared(first.type_name, first)
                            .push(" and ")
                            .declared(m.type_name, m),
                    );
                }
                slot = Table::<N>::next(slot);
            }
            names.put(slot, hash, i as u64);

            let mut c = 0;
            while c < m.provides.len() {
                let capability = m.provides[c];
                let hash = name_hash(capability);
                let mut slot = Table::<N>::start(hash);
                while !capabilities.is_empty(slot) {
                    if let Some(packed) = capabilities.at(slot, hash) {
                        let (j, k) = unpack(packed);
                        if same(modules[j].provides[k], capability) {
                            fail(
                                &Msg::new()
                                    .push("two modules provide `")
                                    .push(capability)
                                    .push("`: ")
                                    .declared(modules[j].name, modules[j])
                                    .push(" and ")
                                    .declared(m.name, m)
                                    .push("; an application has one provider of each capability"),
                            );
                        }
                    }
                    slot = Table::<N>::next(slot);
                }
                capabilities.put(slot, hash, pack(i, c));
                c += 1;
            }
            i += 1;
        }

        let mut i = 0;
        while i < modules.len() {
            let m = modules[i];
            let mut r = 0;
            while r < m.requires.len() {
                if !Checker::<N>::named(&names, modules, m.requires[r]) {
                    fail(
                        &Msg::new()
                            .push("module `")
                            .push(m.name)
                            .push("`")
                            .at(m.file, m.line)
                            .push(" requires module `")
                            .push(m.requires[r])
                            .push("`, which is not mounted: mount it with `.mount_module(..)`"),
                    );
                }
                r += 1;
            }
            i += 1;
        }

        let hash = name_hash(AUTH_CAPABILITY);
        let mut slot = Table::<N>::start(hash);
        while !capabilities.is_empty(slot) {
            if let Some(packed) = capabilities.at(slot, hash) {
                let (j, k) = unpack(packed);
                if same(modules[j].provides[k], AUTH_CAPABILITY) {
                    return true;
                }
            }
            slot = Table::<N>::next(slot);
        }
        false
    }

    /// Whether a module of the table is named `name`.
    const fn named(names: &Table<N>, modules: &[&Manifest], name: &str) -> bool {
        let hash = name_hash(name);
        let mut slot = Table::<N>::start(hash);
        while !names.is_empty(slot) {
            if let Some(j) = names.at(slot, hash)
                && same(modules[j as usize].name, name)
            {
                return true;
            }
            slot = Table::<N>::next(slot);
        }
        false
    }

    /// Every route against those it may meet: the same shape, the same name, a catch-all in the
    /// place of its parameter; and `auth` routes against the application's provider.
    const fn routes(modules: &[&Manifest], auth_provided: bool) {
        let mut shapes = Table::<N>::new();
        let mut names = Table::<N>::new();
        let mut twins = Table::<N>::new();
        let mut catch_alls = false;
        let mut a = 0;
        while a < modules.len() {
            let m = modules[a];
            let mut ra = 0;
            while ra < m.routes.len() {
                let x = &m.routes[ra];
                if !auth_provided && !matches!(x.access, Access::Public) {
                    let msg = route(Msg::new().push("route "), m, x).push(
                        " requires authentication, but no mounted module provides `auth`: mount `chopin::auth::AuthModule` (chopin's `auth` feature), or a module that declares `provides(auth)`",
                    );
                    fail(&msg);
                }
                // Every earlier route of the same shape.
                let mut slot = Table::<N>::start(x.shape);
                while !shapes.is_empty(slot) {
                    if let Some(packed) = shapes.at(slot, x.shape) {
                        let (b, rb) = unpack(packed);
                        check_pair(modules[b], &modules[b].routes[rb], m, x);
                    }
                    slot = Table::<N>::next(slot);
                }
                shapes.put(slot, x.shape, pack(a, ra));

                if let Some(name) = x.name {
                    let hash = name_hash(name);
                    let mut slot = Table::<N>::start(hash);
                    while !names.is_empty(slot) {
                        if let Some(packed) = names.at(slot, hash) {
                            let (b, rb) = unpack(packed);
                            check_names(modules[b], &modules[b].routes[rb], m, x);
                        }
                        slot = Table::<N>::next(slot);
                    }
                    names.put(slot, hash, pack(a, ra));
                }

                if let Some(twin) = chopin_pattern::catch_all_twin(x.path) {
                    let mut slot = Table::<N>::start(twin);
                    while !twins.is_empty(slot) {
                        slot = Table::<N>::next(slot);
                    }
                    twins.put(slot, twin, pack(a, ra));
                    catch_alls = true;
                }
                ra += 1;
            }
            a += 1;
        }
        if catch_alls {
            Checker::<N>::params_beside_catch_alls(modules, &twins);
        }
    }

    /// Each route with a parameter where a catch-all is, after the same segments: both match the
    /// same requests, which no router can tell apart.
    const fn params_beside_catch_alls(modules: &[&Manifest], twins: &Table<N>) {
        let mut a = 0;
        while a < modules.len() {
            let m = modules[a];
            let mut ra = 0;
            while ra < m.routes.len() {
                let x = &m.routes[ra];
                let mut walk = chopin_pattern::ParamTwins::new();
                while let Some((twin, next)) = chopin_pattern::param_twins(x.path, walk) {
                    let mut slot = Table::<N>::start(twin);
                    while !twins.is_empty(slot) {
                        if let Some(packed) = twins.at(slot, twin) {
                            let (b, rb) = unpack(packed);
                            // In mount order, as every message names its routes.
                            if b < a || (b == a && rb < ra) {
                                check_pair(modules[b], &modules[b].routes[rb], m, x);
                            } else {
                                check_pair(m, x, modules[b], &modules[b].routes[rb]);
                            }
                        }
                        slot = Table::<N>::next(slot);
                    }
                    walk = next;
                }
                ra += 1;
            }
            a += 1;
        }
    }
}

/// `earlier` and `later` may not both be routed: the same request at the same priority, for one
/// method, or two spellings of one pattern, which the router cannot hold at all.
const fn check_pair(
    earlier_module: &Manifest,
    earlier: &RouteDecl,
    later_module: &Manifest,
    later: &RouteDecl,
) {
    if !conflicts(earlier.path, later.path) {
        return;
    }
    let spelled_alike = same(earlier.path, later.path);
    let overlap = earlier.methods.overlaps(later.methods);
    if earlier.fast.is_some() != later.fast.is_some() {
        // The static table answers first, so a fast route hides the dynamic route's requests for
        // the methods it answers. Parameter names do not matter: no router holds both.
        if overlap {
            let ((fast_module, fast), (dynamic_module, dynamic)) = if earlier.fast.is_some() {
                ((earlier_module, earlier), (later_module, later))
            } else {
                ((later_module, later), (earlier_module, earlier))
            };
            let method = fast.methods.first_common(dynamic.methods);
            fail(
                &route_with(Msg::new().push("fast route "), fast_module, fast, method)
                    .push(" shadows the dynamic route ")
                    .side(dynamic_module, dynamic)
                    .push(": the fast route answers all its requests first"),
            );
        }
        return;
    }
    if earlier.fast.is_some() && later.fast.is_some() {
        // One path, one slot of the static table, whatever the methods.
        fail(
            &Msg::new()
                .push("two fast routes answer `")
                .push(later.path)
                .push("`: ")
                .side(earlier_module, earlier)
                .push(" and ")
                .side(later_module, later)
                .push("; a path has one fast route"),
        );
    }
    if spelled_alike && !overlap {
        return;
    }
    let msg = if spelled_alike {
        Msg::new()
            .push("route conflict: `")
            .push(earlier.methods.first_common(later.methods))
            .push(" ")
            .push(later.path)
            .push("` is declared twice: by ")
    } else {
        Msg::new()
            .push("route conflict: `")
            .push(earlier.path)
            .push("` and `")
            .push(later.path)
            .push("` match the same requests, which no router can tell apart: declared by ")
    };
    fail(
        &msg.side(earlier_module, earlier)
            .push(" and by ")
            .side(later_module, later),
    );
}

/// Two routes named alike would be one operation id in the API description.
const fn check_names(
    earlier_module: &Manifest,
    earlier: &RouteDecl,
    later_module: &Manifest,
    later: &RouteDecl,
) {
    if let (Some(a), Some(b)) = (earlier.name, later.name)
        && same(a, b)
    {
        fail(
            &Msg::new()
                .push("two routes are named `")
                .push(b)
                .push("`: ")
                .side(earlier_module, earlier)
                .push(" and ")
                .side(later_module, later)
                .push("; a name is the operation's id in the API description, and is unique"),
        );
    }
}

/// `` `GET /posts` of `Blog::list` in module `blog` (src/blog.rs:10)``, naming the route's first
/// method.
const fn route(msg: Msg, module: &Manifest, r: &RouteDecl) -> Msg {
    route_with(msg, module, r, r.methods.first_common(r.methods))
}

const fn route_with(msg: Msg, module: &Manifest, r: &RouteDecl, method: &str) -> Msg {
    msg.push("`")
        .push(method)
        .push(" ")
        .push(r.path)
        .push("` of ")
        .side(module, r)
}

#[track_caller]
const fn fail(msg: &Msg) -> ! {
    panic!("{}", msg.as_str())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{module, r};
    use super::super::{Methods, Package};
    use super::*;
    use crate::fast_route::StaticRoute;

    const PACKAGE: Package = Package::new("app", "0.1.0", "");

    const STATIC: StaticRoute = StaticRoute::__new(
        "/",
        Methods::GET,
        false,
        &[],
        0,
        b"HTTP/1.1 200 OK\r\ndate: ",
    );

    fn failure(modules: &[&Manifest]) -> Option<String> {
        std::panic::catch_unwind(|| check(modules)).err().map(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    }

    static BLOG: Manifest = module(
        "blog",
        &[
            r(Methods::GET, "/blog/posts", "blog::list", 10),
            r(Methods::GET, "/blog/posts/{id}", "blog::show", 11),
            r(Methods::POST, "/blog/posts", "blog::create", 12),
            r(Methods::ANY, "/blog/posts", "blog::other", 13),
        ],
    );

    // A valid application is checked in constant evaluation without complaint.
    const _: () = check(&[&BLOG]);

    #[test]
    fn a_valid_application_passes() {
        assert_eq!(failure(&[&BLOG]), None);
    }

    #[test]
    fn the_same_route_twice_names_both_handlers_and_places() {
        static FEED: Manifest = module(
            "feed",
            &[r(
                Methods::GET.with(Methods::HEAD),
                "/blog/posts",
                "feed::list",
                7,
            )],
        );
        assert_eq!(
            failure(&[&BLOG, &FEED]).as_deref(),
            Some(
                "route conflict: `GET /blog/posts` is declared twice: by `blog::list` in module `blog` \
                 (src/app.rs:10) and by `feed::list` in module `feed` (src/app.rs:7)"
            )
        );
    }

    #[test]
    fn two_spellings_of_one_pattern_conflict_whatever_the_methods() {
        static OTHER: Manifest = module(
            "other",
            &[r(
                Methods::DELETE,
                "/blog/posts/{post_id}",
                "other::remove",
                3,
            )],
        );
        assert_eq!(
            failure(&[&BLOG, &OTHER]).as_deref(),
            Some(
                "route conflict: `/blog/posts/{id}` and `/blog/posts/{post_id}` match the same requests, \
                 which no router can tell apart: declared by `blog::show` in module `blog` (src/app.rs:11) \
                 and by `other::remove` in module `other` (src/app.rs:3)"
            )
        );
    }

    #[test]
    fn a_fast_route_that_shadows_a_dynamic_route() {
        static HEALTH: Manifest = module(
            "health",
            &[r(
                Methods::GET.with(Methods::HEAD),
                "/blog/posts",
                "health::POSTS",
                4,
            )
            .fast(&STATIC)],
        );
        assert_eq!(
            failure(&[&BLOG, &HEALTH]).as_deref(),
            Some(
                "fast route `GET /blog/posts` of `health::POSTS` in module `health` (src/app.rs:4) shadows \
                 the dynamic route `blog::list` in module `blog` (src/app.rs:10): the fast route answers \
                 all its requests first"
            )
        );
        // A fast route beside a parameter is not shadowing: the literal wins, as in axum.
        static ME: Manifest = module(
            "me",
            &[r(Methods::GET, "/blog/posts/latest", "me::LATEST", 4).fast(&STATIC)],
        );
        assert_eq!(failure(&[&BLOG, &ME]), None);

        // Two fast routes on one path, whatever their methods: the table has one slot a path.
        static POST_ME: Manifest = module(
            "post_me",
            &[r(Methods::POST, "/blog/posts/latest", "post_me::LATEST", 8).fast(&STATIC)],
        );
        assert_eq!(
            failure(&[&ME, &POST_ME]).as_deref(),
            Some(
                "two fast routes answer `/blog/posts/latest`: `me::LATEST` in module `me` (src/app.rs:4) \
                 and `post_me::LATEST` in module `post_me` (src/app.rs:8); a path has one fast route"
            )
        );
    }

    #[test]
    fn missing_requirements_auth_and_duplicate_names() {
        static NEEDS: Manifest = module("comments", &[]).requires(&["auth"]);
        assert_eq!(
            failure(&[&NEEDS]).as_deref(),
            Some(
                "module `comments` (src/app.rs:1) requires module `auth`, which is not mounted: mount it \
                 with `.mount_module(..)`"
            )
        );

        static GUARDED: Manifest = module(
            "admin",
            &[r(Methods::DELETE, "/admin/users/{id}", "admin::remove", 9)
                .access(Access::Role("admin"))],
        );
        assert_eq!(
            failure(&[&GUARDED]).as_deref(),
            Some(
                "route `DELETE /admin/users/{id}` of `admin::remove` in module `admin` (src/app.rs:9) \
                 requires authentication, but no mounted module provides `auth`: mount `chopin::auth::AuthModule` (chopin's `auth` feature), or a module that declares `provides(auth)`"
            )
        );
        static AUTH: Manifest = module("auth", &[]).provides(&[AUTH_CAPABILITY]);
        assert_eq!(failure(&[&AUTH, &GUARDED, &NEEDS]), None);
        static OTHER_AUTH: Manifest =
            Manifest::new("sessions", "sessions", "src/app.rs", 20, PACKAGE)
                .provides(&[AUTH_CAPABILITY]);
        assert_eq!(
            failure(&[&AUTH, &OTHER_AUTH]).as_deref(),
            Some(
                "two modules provide `auth`: `auth` (src/app.rs:1) and `sessions` (src/app.rs:20); an \
                 application has one provider of each capability"
            )
        );

        static BLOG2: Manifest = Manifest::new("blog", "OtherBlog", "src/app.rs", 40, PACKAGE);
        assert_eq!(
            failure(&[&BLOG, &BLOG2]).as_deref(),
            Some(
                "two modules are named `blog`: `blog` (src/app.rs:1) and `OtherBlog` (src/app.rs:40)"
            )
        );
    }

    #[test]
    fn a_long_message_is_cut_on_a_character_boundary() {
        let long = "é".repeat(600);
        let msg = Msg::new().push(&long).push("tail");
        assert_eq!(msg.as_str().len(), 1024);
        assert!(msg.as_str().chars().all(|c| c == 'é'));
        assert_eq!(
            Msg::new().push_u32(0).push_u32(4_294_967_295).as_str(),
            "04294967295"
        );
    }
}
