//! Manifests: what each module declares, as plain `'static` data, and the whole-application check
//! that runs over them in constant evaluation.
//!
//! A proc macro sees one item, never the application. So each `#[chopin::module]` describes itself
//! in a [`Manifest`] (its name, prefix, the modules it requires, the capabilities it provides, and
//! every route with the handler and the place that declares it), and the application's
//! composition evaluates [`check`] over all mounted manifests in a `const`. A mistake that needs
//! the whole application to see (two modules claiming one request, a required module that is not
//! mounted, an `auth` route in an application without an auth provider, two modules with one
//! name) then stops the build with a message naming both sides:
//!
//! ```text
//! error[E0080]: evaluation panicked: route conflict: `GET /posts` is declared twice: by
//!               `Blog::list` in module `blog` (src/blog.rs:10) and by `Feed::list` in module
//!               `feed` (src/feed.rs:7)
//! ```
//!
//! `App::bind` evaluates it for the mounted modules (see the `module` module), and
//! `chopin::assert_app!` in a `const` item that `cargo check` sees.
//!
//! Manifests and routes are built with `const` constructors ([`Manifest::new`],
//! [`RouteDecl::new`] and their setters), never with struct literals: both are
//! `#[non_exhaustive]`, so a new field touches no expansion and no fixture.

mod check;
mod msg;

pub use check::check;

pub use crate::auth::Access;
use crate::fast_route::StaticRoute;
pub use crate::method::Methods;
use crate::openapi::Operation;

/// One route as its module declares it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RouteDecl {
    /// The methods it answers.
    pub methods: Methods,
    /// The full pattern, module prefix included.
    pub path: &'static str,
    /// The handler (`blog::show`) or, for a fast route, its constant (`blog::HEALTH`).
    pub handler: &'static str,
    /// Where it is declared.
    pub file: &'static str,
    /// The line of the declaration.
    pub line: u32,
    /// Who may call it.
    pub access: Access,
    /// A fast route's precomputed response; `None` for a handler.
    pub fast: Option<&'static StaticRoute>,
    /// The operation's id in the API description (`name = "…"`), when the attribute names it.
    pub name: Option<&'static str>,
    /// The operation's tag (`tag = "…"`); the module's name when `None`.
    pub tag: Option<&'static str>,
    /// The handler's (or constant's) doc comment.
    pub doc: &'static str,
    /// Describes the handler's operation from its argument and return types; `None` for a
    /// fast route, which is described by its bytes.
    pub describe: Option<fn(&mut Operation<'_>)>,
    /// The hash of the path's shape ([`chopin_pattern::shape_hash`]), computed with the
    /// module's manifest so that the whole-application check only compares integers.
    pub shape: u64,
}

impl RouteDecl {
    /// A public handler route, declared at `file:line`: no fast response, no name or tag, no doc,
    /// no description until the setters give them.
    pub const fn new(
        methods: Methods,
        path: &'static str,
        handler: &'static str,
        file: &'static str,
        line: u32,
    ) -> RouteDecl {
        RouteDecl {
            methods,
            path,
            handler,
            file,
            line,
            access: Access::Public,
            fast: None,
            name: None,
            tag: None,
            doc: "",
            describe: None,
            shape: chopin_pattern::shape_hash(path),
        }
    }

    /// Who may call it.
    pub const fn access(mut self, access: Access) -> RouteDecl {
        self.access = access;
        self
    }

    /// Makes it a fast route answered with `route`'s bytes.
    pub const fn fast(mut self, route: &'static StaticRoute) -> RouteDecl {
        self.fast = Some(route);
        self
    }

    /// The operation's id in the API description.
    pub const fn name(mut self, name: &'static str) -> RouteDecl {
        self.name = Some(name);
        self
    }

    /// The operation's tag.
    pub const fn tag(mut self, tag: &'static str) -> RouteDecl {
        self.tag = Some(tag);
        self
    }

    /// The handler's doc comment.
    pub const fn doc(mut self, doc: &'static str) -> RouteDecl {
        self.doc = doc;
        self
    }

    /// The function that describes the handler's operation.
    pub const fn describe(mut self, describe: fn(&mut Operation<'_>)) -> RouteDecl {
        self.describe = Some(describe);
        self
    }
}

/// The Cargo package that declares a module: the API description's default `info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Package {
    /// `CARGO_PKG_NAME`.
    pub name: &'static str,
    /// `CARGO_PKG_VERSION`.
    pub version: &'static str,
    /// `CARGO_PKG_DESCRIPTION`, empty when the manifest has none.
    pub description: &'static str,
}

impl Package {
    /// A package's name, version and description.
    pub const fn new(
        name: &'static str,
        version: &'static str,
        description: &'static str,
    ) -> Package {
        Package {
            name,
            version,
            description,
        }
    }
}

/// What a module declares about itself.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Manifest {
    /// The module's name, unique in an application.
    pub name: &'static str,
    /// The Rust type that implements the module.
    pub type_name: &'static str,
    /// Where the module is declared.
    pub file: &'static str,
    /// The line of the declaration.
    pub line: u32,
    /// The URL prefix of its routes (`""` for none).
    pub prefix: &'static str,
    /// Names of the modules it needs mounted beside it.
    pub requires: &'static [&'static str],
    /// Capabilities it provides to other modules, such as `"auth"`.
    pub provides: &'static [&'static str],
    /// Its routes.
    pub routes: &'static [RouteDecl],
    /// The package that declares it.
    pub package: Package,
    /// Whether it declares a route on its own (a crate-level `#[fast_route]` constant) rather
    /// than a module: it has no name of its own, and messages name its route alone.
    pub standalone: bool,
}

impl Manifest {
    /// A module named `name`, of type `type_name`, declared at `file:line` in `package`: no
    /// prefix, requirements, capabilities or routes until the setters give them.
    pub const fn new(
        name: &'static str,
        type_name: &'static str,
        file: &'static str,
        line: u32,
        package: Package,
    ) -> Manifest {
        Manifest {
            name,
            type_name,
            file,
            line,
            prefix: "",
            requires: &[],
            provides: &[],
            routes: &[],
            package,
            standalone: false,
        }
    }

    /// The URL prefix of its routes.
    pub const fn prefix(mut self, prefix: &'static str) -> Manifest {
        self.prefix = prefix;
        self
    }

    /// The modules it needs mounted beside it, by name.
    pub const fn requires(mut self, requires: &'static [&'static str]) -> Manifest {
        self.requires = requires;
        self
    }

    /// The capabilities it provides.
    pub const fn provides(mut self, provides: &'static [&'static str]) -> Manifest {
        self.provides = provides;
        self
    }

    /// Its routes.
    pub const fn routes(mut self, routes: &'static [RouteDecl]) -> Manifest {
        self.routes = routes;
        self
    }

    /// Makes it the manifest of a route declared on its own, not of a module.
    pub const fn standalone(mut self) -> Manifest {
        self.standalone = true;
        self
    }
}

/// The capability that `auth` routes need.
pub const AUTH_CAPABILITY: &str = "auth";

/// Routes and manifests for unit tests, declared in `src/app.rs`.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub(crate) const fn r(
        methods: Methods,
        path: &'static str,
        handler: &'static str,
        line: u32,
    ) -> RouteDecl {
        RouteDecl::new(methods, path, handler, "src/app.rs", line)
    }

    pub(crate) const fn module(name: &'static str, routes: &'static [RouteDecl]) -> Manifest {
        Manifest::new(
            name,
            name,
            "src/app.rs",
            1,
            Package::new("app", "0.1.0", ""),
        )
        .routes(routes)
    }
}
