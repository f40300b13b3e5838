//! The route table: every route of an application, one row each, as `app routes` prints it.

use std::fmt;

use crate::auth::Access;
use crate::fast_route::FastRoute;
use crate::manifest::{Manifest, Methods, RouteDecl};

/// One row of an application's route table ([`App::routes`](crate::App::routes)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// The methods it answers.
    pub methods: Methods,
    /// The full path.
    pub path: String,
    /// The handler or fast-route constant (`Blog::show`); `-` for a fast route added by hand.
    pub handler: String,
    /// The module that declares it; `-` for a fast route added by hand.
    pub module: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether it is answered from precomputed bytes.
    pub fast: bool,
}

impl RouteInfo {
    /// A module's route.
    pub(crate) fn of(module: &Manifest, route: &RouteDecl) -> RouteInfo {
        RouteInfo {
            methods: route.methods,
            path: route.path.to_owned(),
            handler: route.handler.to_owned(),
            module: if module.standalone { "-" } else { module.name },
            access: route.access,
            fast: route.fast.is_some(),
        }
    }

    /// A fast route added by hand.
    pub(crate) fn of_fast(route: &FastRoute) -> RouteInfo {
        RouteInfo {
            methods: route.answered_methods(),
            path: route.path().to_owned(),
            handler: "-".to_owned(),
            module: "-",
            access: Access::Public,
            fast: true,
        }
    }
}

/// `GET, HEAD  /blog/posts/{id}  Blog::show  blog  public  dynamic`, one route a line, aligned.
pub struct RouteTable<'a>(pub &'a [RouteInfo]);

impl fmt::Display for RouteTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 6]> = self
            .0
            .iter()
            .map(|r| {
                [
                    r.methods.names().join(", "),
                    r.path.clone(),
                    r.handler.clone(),
                    r.module.to_owned(),
                    match r.access {
                        Access::Public => "public".to_owned(),
                        Access::User => "auth".to_owned(),
                        Access::Role(role) => format!("auth(role = {role})"),
                    },
                    if r.fast { "fast" } else { "dynamic" }.to_owned(),
                ]
            })
            .collect();
        let header = ["METHODS", "PATH", "HANDLER", "MODULE", "ACCESS", "KIND"].map(String::from);
        let mut widths = [0; 6];
        for row in std::iter::once(&header).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:w$}  "));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}
