//! The table of fast routes consulted before anything else, on both paths.
//!
//! A lookup takes the method and request target as they came off the wire and answers which
//! precomputed response (if any) serves them. The table guarantees one route per path: building
//! it refuses duplicates.

use crate::fast_route::{Preflight, Prepared};
use crate::method::MethodSet;
use std::collections::HashMap;

use crate::perfect_hash::{MAX_KEYS, PerfectHash};

/// What a request that hits the table gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Hit<'a> {
    /// The full response (headers and body).
    Full(&'a Prepared),
    /// The head only, for `HEAD`.
    Head(&'a Prepared),
    /// The `204` preflight of a CORS route, for `OPTIONS`.
    Preflight(&'a Preflight),
}

/// Up to this many routes a linear scan beats the perfect hash (`benches/static_table.rs` in
/// `examples/benchmark`: at 4 routes the scan takes 1.7 ns a lookup, the hash 3.1 ns; at 32 the
/// scan takes 8.9 ns and the hash still 3.1 ns).
const LINEAR_MAX: usize = 8;

/// All fast routes of an application: scanned when there are few, else found by a perfect hash
/// of their path, or by a hash map past [`MAX_KEYS`] (the perfect hash's table grows with the
/// square of its keys).
#[derive(Debug, Default)]
pub(crate) struct StaticTable {
    routes: Box<[Prepared]>,
    index: Index,
}

#[derive(Debug, Default)]
enum Index {
    #[default]
    Scan,
    Perfect(PerfectHash),
    Map(HashMap<Box<[u8]>, usize>),
}

impl StaticTable {
    /// The table of `routes`. `seed` is the perfect hash's seed when one was found at compile
    /// time for these paths; otherwise (or if it does not separate them) one is searched for.
    pub(crate) fn new(
        routes: Vec<Prepared>,
        seed: Option<u64>,
    ) -> Result<StaticTable, Vec<String>> {
        let mut errors = Vec::new();
        let mut seen: HashMap<&str, &Prepared> = HashMap::with_capacity(routes.len());
        for r in &routes {
            if let Some(earlier) = seen.insert(&r.path, r) {
                errors.push(format!(
                    "two fast routes answer `{}`: {} and {}; a path has one fast route",
                    r.path, earlier.origin, r.origin
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let index = if routes.len() <= LINEAR_MAX {
            Index::Scan
        } else if routes.len() <= MAX_KEYS {
            let keys: Vec<&[u8]> = routes.iter().map(|r| r.path.as_bytes()).collect();
            Index::Perfect(
                seed.and_then(|seed| PerfectHash::with_seed(&keys, seed))
                    .unwrap_or_else(|| PerfectHash::build(&keys)),
            )
        } else {
            Index::Map(
                routes
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (Box::from(r.path.as_bytes()), i))
                    .collect(),
            )
        };
        Ok(StaticTable {
            routes: routes.into_boxed_slice(),
            index,
        })
    }

    pub(crate) fn routes(&self) -> &[Prepared] {
        &self.routes
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The response for `method target`, if a fast route serves it. The query string is ignored;
    /// a method the route does not answer is a miss, so the router decides (405, or its own route).
    #[inline]
    pub(crate) fn lookup(&self, method: &[u8], target: &[u8]) -> Option<Hit<'_>> {
        let path = match target.iter().position(|&b| b == b'?') {
            Some(q) => &target[..q],
            None => target,
        };
        let route = match &self.index {
            Index::Scan => self.routes.iter().find(|r| r.path.as_bytes() == path),
            Index::Perfect(index) => Some(&self.routes[index.candidate(path)?]),
            Index::Map(map) => Some(&self.routes[*map.get(path)?]),
        }
        .filter(|r| r.path.as_bytes() == path)?;
        let method = MethodSet::of_bytes(method)?;
        if route.methods.contains(method) {
            Some(if method == MethodSet::HEAD {
                Hit::Head(route)
            } else {
                Hit::Full(route)
            })
        } else if method == MethodSet::OPTIONS {
            route.preflight.as_ref().map(Hit::Preflight)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FastRoute;
    use crate::compression::Compression;

    fn table() -> StaticTable {
        StaticTable::new(
            vec![
                FastRoute::text("/a", "a")
                    .prepare(Compression::OFF)
                    .expect("valid"),
                FastRoute::text("/cors", "c")
                    .cors()
                    .prepare(Compression::OFF)
                    .expect("valid"),
                FastRoute::text("/post", "p")
                    .post_only()
                    .prepare(Compression::OFF)
                    .expect("valid"),
            ],
            None,
        )
        .expect("no duplicates")
    }

    fn kind(hit: Option<Hit<'_>>) -> &'static str {
        match hit {
            Some(Hit::Full(_)) => "full",
            Some(Hit::Head(_)) => "head",
            Some(Hit::Preflight(_)) => "preflight",
            None => "miss",
        }
    }

    #[test]
    fn lookups() {
        let t = table();
        let cases: [(&[u8], &[u8], &str); 10] = [
            (b"GET", b"/a", "full"),
            (b"GET", b"/a?x=1", "full"),
            (b"HEAD", b"/a", "head"),
            (b"POST", b"/a", "miss"),
            (b"OPTIONS", b"/a", "miss"),
            (b"OPTIONS", b"/cors", "preflight"),
            (b"POST", b"/post", "full"),
            (b"GET", b"/post", "miss"),
            (b"GET", b"/a/", "miss"),
            (b"PURGE", b"/a", "miss"),
        ];
        for (method, target, expected) in cases {
            let got = kind(t.lookup(method, target));
            assert_eq!(
                got,
                expected,
                "{} {}",
                String::from_utf8_lossy(method),
                String::from_utf8_lossy(target)
            );
        }
    }

    #[test]
    fn a_large_table_is_hashed_and_answers_the_same() {
        let routes = (0..40)
            .map(|i| {
                FastRoute::text(format!("/r/{i}"), "x")
                    .prepare(Compression::OFF)
                    .expect("valid")
            })
            .collect();
        let t = StaticTable::new(routes, None).expect("no duplicates");
        assert!(matches!(t.index, Index::Perfect(_)));
        for i in 0..40 {
            assert_eq!(
                kind(t.lookup(b"GET", format!("/r/{i}?q").as_bytes())),
                "full"
            );
        }
        assert_eq!(kind(t.lookup(b"GET", b"/r/40")), "miss");
        assert_eq!(kind(t.lookup(b"GET", b"/r/")), "miss");
    }

    #[test]
    fn duplicates_are_refused() {
        let errors = StaticTable::new(
            vec![
                FastRoute::text("/a", "1")
                    .prepare(Compression::OFF)
                    .expect("valid"),
                FastRoute::json("/a", "2")
                    .prepare(Compression::OFF)
                    .expect("valid"),
            ],
            None,
        )
        .expect_err("duplicate");
        assert_eq!(
            errors,
            [
                "two fast routes answer `/a`: a fast route added by hand and a fast route added by hand; a path has one fast route"
            ]
        );
    }

    #[test]
    fn past_the_perfect_hashs_size_a_map_finds_them() {
        let routes: Vec<Prepared> = (0..MAX_KEYS + 1)
            .map(|i| {
                FastRoute::text(format!("/r/{i}"), "r")
                    .prepare(Compression::OFF)
                    .expect("valid")
            })
            .collect();
        let t = StaticTable::new(routes, None).expect("no duplicates");
        assert!(matches!(t.index, Index::Map(_)));
        assert_eq!(kind(t.lookup(b"GET", b"/r/1024")), "full");
        assert_eq!(kind(t.lookup(b"GET", b"/r/0?x=1")), "full");
        assert_eq!(kind(t.lookup(b"GET", b"/r/1025")), "miss");
    }
}
