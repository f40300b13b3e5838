//! The keywords of Chopin's attributes, written once.

/// `auth` / `auth(role = "…")` on a route.
pub const AUTH: &str = "auth";
/// `role = "…"` inside `auth(..)`.
pub const ROLE: &str = "role";
/// `name = "…"`: the operation's id.
pub const NAME: &str = "name";
/// `tag = "…"`: the operation's tag.
pub const TAG: &str = "tag";

/// The options a route attribute accepts, in the order error messages list them.
pub const ROUTE_OPTIONS: &[&str] = &[AUTH, NAME, TAG];
