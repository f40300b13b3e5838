//! HTTP methods as bit sets: [`Methods`], what a route declares (with `ANY`), and `MethodSet`, the
//! standard methods a fast route answers on the wire. Both share their bits, so converting one
//! into the other is a mask.

use std::fmt;

use http::Method;

/// The methods a route answers, as a bit set. `ANY` is a method of its own: beside `GET` on one
/// path it takes the requests `GET` does not, as in axum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Methods(pub u16);

impl Methods {
    /// `GET`.
    pub const GET: Methods = Methods(1);
    /// `HEAD`.
    pub const HEAD: Methods = Methods(1 << 1);
    /// `POST`.
    pub const POST: Methods = Methods(1 << 2);
    /// `PUT`.
    pub const PUT: Methods = Methods(1 << 3);
    /// `DELETE`.
    pub const DELETE: Methods = Methods(1 << 4);
    /// `PATCH`.
    pub const PATCH: Methods = Methods(1 << 5);
    /// `OPTIONS`.
    pub const OPTIONS: Methods = Methods(1 << 6);
    /// Every method not otherwise routed on the path.
    pub const ANY: Methods = Methods(1 << 7);

    const NAMES: [&'static str; 8] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "ANY",
    ];

    /// Both sets.
    pub const fn with(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// Whether a request method is in both sets.
    pub const fn overlaps(self, other: Methods) -> bool {
        self.0 & other.0 != 0
    }

    /// The methods' names, as `GET, HEAD`.
    pub fn names(self) -> Vec<&'static str> {
        Methods::NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect()
    }

    /// The first method in both sets, for messages.
    pub(crate) const fn first_common(self, other: Methods) -> &'static str {
        let common = self.0 & other.0;
        let mut i = 0;
        while i < Methods::NAMES.len() {
            if common & (1 << i) != 0 {
                return Methods::NAMES[i];
            }
            i += 1;
        }
        "ANY"
    }
}

/// The HTTP methods a fast route answers, as a bit set over the standard methods.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct MethodSet(u16);

const STANDARD_METHODS: [(Method, u16); 9] = [
    (Method::GET, 1),
    (Method::HEAD, 1 << 1),
    (Method::POST, 1 << 2),
    (Method::PUT, 1 << 3),
    (Method::DELETE, 1 << 4),
    (Method::PATCH, 1 << 5),
    (Method::OPTIONS, 1 << 6),
    (Method::CONNECT, 1 << 7),
    (Method::TRACE, 1 << 8),
];

impl MethodSet {
    pub(crate) const GET: MethodSet = MethodSet(1);
    pub(crate) const HEAD: MethodSet = MethodSet(1 << 1);
    pub(crate) const OPTIONS: MethodSet = MethodSet(1 << 6);
    pub(crate) const EMPTY: MethodSet = MethodSet(0);

    /// The bit of a method as it appears on the wire; `None` for extension methods.
    #[inline]
    pub(crate) fn of_bytes(method: &[u8]) -> Option<MethodSet> {
        let bit = match method {
            b"GET" => 1,
            b"HEAD" => 1 << 1,
            b"POST" => 1 << 2,
            b"PUT" => 1 << 3,
            b"DELETE" => 1 << 4,
            b"PATCH" => 1 << 5,
            b"OPTIONS" => 1 << 6,
            b"CONNECT" => 1 << 7,
            b"TRACE" => 1 << 8,
            _ => return None,
        };
        Some(MethodSet(bit))
    }

    /// The standard methods of a manifest's set, which shares their bits (`ANY` is not one).
    pub(crate) fn of_manifest(methods: Methods) -> MethodSet {
        MethodSet(methods.0 & !Methods::ANY.0)
    }

    pub(crate) fn of(method: &Method) -> Option<MethodSet> {
        MethodSet::of_bytes(method.as_str().as_bytes())
    }

    /// The same methods as a route declares them.
    pub(crate) fn to_methods(self) -> Methods {
        Methods(self.0)
    }

    #[inline]
    pub(crate) fn contains(self, other: MethodSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub(crate) fn with(self, other: MethodSet) -> MethodSet {
        MethodSet(self.0 | other.0)
    }

    /// The methods in wire order, for `allow` headers and listings.
    pub(crate) fn names(self) -> impl Iterator<Item = &'static str> {
        STANDARD_METHODS
            .iter()
            .filter(move |(_, bit)| self.0 & bit != 0)
            .map(|(m, _)| match *m {
                Method::GET => "GET",
                Method::HEAD => "HEAD",
                Method::POST => "POST",
                Method::PUT => "PUT",
                Method::DELETE => "DELETE",
                Method::PATCH => "PATCH",
                Method::OPTIONS => "OPTIONS",
                Method::CONNECT => "CONNECT",
                _ => "TRACE",
            })
    }

    pub(crate) fn join(self, sep: &str) -> String {
        self.names().collect::<Vec<_>>().join(sep)
    }
}

impl fmt::Debug for MethodSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.join("|"))
    }
}
