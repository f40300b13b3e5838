//! The route-pattern grammar of Chopin, and the rule that decides when two routes conflict.
//!
//! Written once and used twice: by the code generator, to point at the offending token of a
//! route attribute, and by the runtime, whose whole-application check runs as `const`
//! evaluation. Everything here is therefore a `const fn` over bytes, with no dependencies.
//!
//! # Grammar
//!
//! Chopin's patterns are axum 0.8's, restricted so that every accepted pattern means the same to
//! axum and to this checker:
//!
//! ```text
//! pattern  = "/" | ( "/" segment )+ [ "/" ]
//! segment  = literal | "{" name "}" | "{*" name "}"     catch-all: the last segment only
//! literal  = 1*( visible ASCII except "/" "{" "}" "?" "#" ), not starting with ":" or "*"
//! name     = ( ALPHA | "_" ) *( ALPHA | DIGIT | "_" )   unique within the pattern
//! ```
//!
//! A parameter is a whole segment (axum also accepts `/file-{id}`; Chopin does not, so that a
//! parameter always binds exactly one segment).
//!
//! # Conflicts
//!
//! [`conflicts`] says whether two patterns claim the same request at the same priority, which is
//! exactly when axum's router refuses to hold both: they are the same pattern up to parameter
//! names, or they first differ where one has a parameter and the other a catch-all. A literal
//! beside a parameter (`/users/me` and `/users/{id}`) is no conflict: the literal wins.

#![no_std]
#![forbid(unsafe_code)]

/// What is wrong with a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The pattern is empty or does not start with `/`.
    MissingLeadingSlash,
    /// Two slashes in a row.
    EmptySegment,
    /// A `{` without its `}`.
    UnclosedBrace,
    /// A `}` without its `{`.
    UnopenedBrace,
    /// A parameter shares its segment with other characters.
    PartialSegment,
    /// `{}` or `{*}`.
    EmptyName,
    /// A parameter name that is not an identifier.
    InvalidName,
    /// A catch-all that is not the last segment.
    CatchAllNotLast,
    /// A segment in axum 0.7's syntax, `:id` or `*rest`.
    OldSyntax,
    /// A character that cannot appear in a path as written (space, `?`, `#`, non-ASCII, …).
    InvalidChar,
    /// Two parameters with one name.
    DuplicateName,
}

/// A pattern's first mistake: what, and where (byte offsets into the pattern).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Where the offending part starts.
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
}

impl PatternError {
    /// The message for users: lowercase, no trailing period, saying what was expected.
    pub const fn message(&self) -> &'static str {
        match self.kind {
            ErrorKind::MissingLeadingSlash => "a route path must start with `/`",
            ErrorKind::EmptySegment => "empty path segment (`//`)",
            ErrorKind::UnclosedBrace => "unclosed `{`: a parameter is written `{name}`",
            ErrorKind::UnopenedBrace => "unexpected `}`: a parameter is written `{name}`",
            ErrorKind::PartialSegment => {
                "a parameter must be a whole path segment, as in `/files/{name}`"
            }
            ErrorKind::EmptyName => "a parameter needs a name, as in `{id}` or `{*rest}`",
            ErrorKind::InvalidName => {
                "a parameter name must be an identifier (letters, digits and `_`, not starting with a digit)"
            }
            ErrorKind::CatchAllNotLast => "a catch-all `{*name}` must be the last segment",
            ErrorKind::OldSyntax => {
                "`:name` and `*name` are axum 0.7's syntax: write `{name}` or `{*name}`"
            }
            ErrorKind::InvalidChar => {
                "this character cannot appear in a route path: percent-encode it, or drop the query or fragment"
            }
            ErrorKind::DuplicateName => "this parameter name is already used in the path",
        }
    }
}

/// What a segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentKind {
    /// Matches exactly its text.
    Literal,
    /// `{name}`: matches one segment.
    Param,
    /// `{*name}`: matches the rest of the path.
    CatchAll,
}

/// One segment of a valid pattern: its kind, and the byte range of its text (for a parameter,
/// the range of its name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// What the segment matches.
    pub kind: SegmentKind,
    /// Start of the literal text or of the parameter's name.
    pub start: usize,
    /// End (exclusive).
    pub end: usize,
}

/// The segment starting at `at` (just after its `/`), and where the next segment starts. `None`
/// at the end of the pattern; the empty segment of a trailing slash is a literal of length 0.
///
/// The pattern must be valid.
pub const fn next_segment(pattern: &str, at: usize) -> Option<(Segment, usize)> {
    let b = pattern.as_bytes();
    if at > b.len() || (at == b.len() && (at == 0 || b[at - 1] != b'/')) {
        return None;
    }
    // The root pattern `/` has no segment.
    if at == 1 && b.len() == 1 {
        return None;
    }
    let mut end = at;
    while end < b.len() && b[end] != b'/' {
        end += 1;
    }
    let seg = if end > at && b[at] == b'{' {
        if b[at + 1] == b'*' {
            Segment {
                kind: SegmentKind::CatchAll,
                start: at + 2,
                end: end - 1,
            }
        } else {
            Segment {
                kind: SegmentKind::Param,
                start: at + 1,
                end: end - 1,
            }
        }
    } else {
        Segment {
            kind: SegmentKind::Literal,
            start: at,
            end,
        }
    };
    Some((seg, end + 1))
}

/// Checks a pattern against the grammar.
pub const fn validate(pattern: &str) -> Result<(), PatternError> {
    let b = pattern.as_bytes();
    if b.is_empty() || b[0] != b'/' {
        return Err(err(
            ErrorKind::MissingLeadingSlash,
            0,
            if b.is_empty() { 0 } else { 1 },
        ));
    }
    let mut at = 1;
    while at < b.len() {
        let mut end = at;
        while end < b.len() && b[end] != b'/' {
            end += 1;
        }
        if end == at {
            return Err(err(ErrorKind::EmptySegment, at - 1, at + 1));
        }
        if let Err(e) = validate_segment(b, at, end) {
            return Err(e);
        }
        if b[at] == b'{' && b[at + 1] == b'*' && end < b.len() {
            return Err(err(ErrorKind::CatchAllNotLast, at, end));
        }
        if b[at] == b'{' {
            let (start, stop) = if b[at + 1] == b'*' {
                (at + 2, end - 1)
            } else {
                (at + 1, end - 1)
            };
            if name_used_before(b, at, start, stop) {
                return Err(err(ErrorKind::DuplicateName, start, stop));
            }
        }
        at = end + 1;
    }
    Ok(())
}

const fn err(kind: ErrorKind, start: usize, end: usize) -> PatternError {
    PatternError { kind, start, end }
}

const fn validate_segment(b: &[u8], at: usize, end: usize) -> Result<(), PatternError> {
    if b[at] == b':' || b[at] == b'*' {
        return Err(err(ErrorKind::OldSyntax, at, end));
    }
    if b[at] != b'{' {
        // A literal, in which braces may not appear.
        let mut i = at;
        while i < end {
            match b[i] {
                b'{' => return Err(err(ErrorKind::PartialSegment, i, end)),
                b'}' => return Err(err(ErrorKind::UnopenedBrace, i, i + 1)),
                b'?' | b'#' => return Err(err(ErrorKind::InvalidChar, i, i + 1)),
                c if c <= b' ' || c >= 0x7f => return Err(err(ErrorKind::InvalidChar, i, i + 1)),
                _ => {}
            }
            i += 1;
        }
        return Ok(());
    }
    // `{` opens a parameter, which must close at the end of the segment.
    let mut close = at + 1;
    while close < end && b[close] != b'}' {
        if b[close] == b'{' {
            return Err(err(ErrorKind::UnclosedBrace, at, close));
        }
        close += 1;
    }
    if close == end {
        return Err(err(ErrorKind::UnclosedBrace, at, end));
    }
    if close + 1 != end {
        return Err(err(ErrorKind::PartialSegment, at, end));
    }
    let start = if b[at + 1] == b'*' { at + 2 } else { at + 1 };
    if start == close {
        return Err(err(ErrorKind::EmptyName, at, end));
    }
    let mut i = start;
    while i < close {
        let c = b[i];
        let ok = c == b'_' || c.is_ascii_alphabetic() || (i > start && c.is_ascii_digit());
        if !ok {
            return Err(err(ErrorKind::InvalidName, start, close));
        }
        i += 1;
    }
    Ok(())
}

/// Whether a parameter named `b[start..stop]` appears among the segments before `before`.
const fn name_used_before(b: &[u8], before: usize, start: usize, stop: usize) -> bool {
    let mut at = 1;
    while at < before {
        let mut end = at;
        while end < before && b[end] != b'/' {
            end += 1;
        }
        if end > at && b[at] == b'{' {
            let s = if b[at + 1] == b'*' { at + 2 } else { at + 1 };
            if bytes_eq(b, s, end - 1, b, start, stop) {
                return true;
            }
        }
        at = end + 1;
    }
    false
}

const fn bytes_eq(a: &[u8], a0: usize, a1: usize, b: &[u8], b0: usize, b1: usize) -> bool {
    if a1 - a0 != b1 - b0 {
        return false;
    }
    let mut i = 0;
    while i < a1 - a0 {
        if a[a0 + i] != b[b0 + i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two patterns are spelled identically.
pub const fn same(a: &str, b: &str) -> bool {
    bytes_eq(a.as_bytes(), 0, a.len(), b.as_bytes(), 0, b.len())
}

/// Whether two valid patterns claim the same request at the same priority: the same up to
/// parameter names, or first differing where one has a parameter and the other a catch-all.
pub const fn conflicts(a: &str, b: &str) -> bool {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut ia, mut ib) = (1, 1);
    loop {
        let (sa, sb) = (next_segment(a, ia), next_segment(b, ib));
        match (sa, sb) {
            (None, None) => return true,
            (None, Some(_)) | (Some(_), None) => return false,
            (Some((x, na)), Some((y, nb))) => {
                match (x.kind, y.kind) {
                    (SegmentKind::Literal, SegmentKind::Literal) => {
                        if !bytes_eq(ab, x.start, x.end, bb, y.start, y.end) {
                            return false;
                        }
                    }
                    (SegmentKind::Param, SegmentKind::Param) => {}
                    (SegmentKind::CatchAll, SegmentKind::CatchAll) => return true,
                    (SegmentKind::Param, SegmentKind::CatchAll)
                    | (SegmentKind::CatchAll, SegmentKind::Param) => return true,
                    // A literal beside a parameter: the literal wins, both can be routed. An empty
                    // literal (a trailing slash) beside a parameter is the same.
                    _ => return false,
                }
                ia = na;
                ib = nb;
            }
        }
    }
}

/// The hash the shape of a pattern starts from (FNV-1a's offset basis).
const SHAPE_START: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a's 64-bit prime.
const SHAPE_PRIME: u64 = 0x0000_0100_0000_01b3;
/// What a parameter, and a catch-all, are in a pattern's shape: bytes no literal holds.
const PARAM_MARK: u8 = 0x01;
const CATCH_ALL_MARK: u8 = 0x02;

const fn mix(hash: u64, byte: u8) -> u64 {
    (hash ^ byte as u64).wrapping_mul(SHAPE_PRIME)
}

/// What a walk of a pattern's shape stopped at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    End,
    Param,
    CatchAll,
}

/// Hashes the shape of `pattern` from byte `at` on, from `hash`: its bytes, each parameter
/// replaced by a mark, names left out. Stops at the end, at a catch-all (always the last
/// segment), or, when `at_param`, at a parameter; returns the hash so far (without the mark of
/// the parameter it stopped at), where to go on, and why it stopped. Safe on any string: a
/// stray `{` runs to the next `}` or the end.
const fn walk(pattern: &str, mut at: usize, mut hash: u64, at_param: bool) -> (u64, usize, Stop) {
    let b = pattern.as_bytes();
    while at < b.len() {
        if b[at] != b'{' {
            hash = mix(hash, b[at]);
            at += 1;
            continue;
        }
        let catch_all = at + 1 < b.len() && b[at + 1] == b'*';
        let before = hash;
        while at < b.len() && b[at] != b'}' {
            at += 1;
        }
        at += 1;
        if catch_all {
            return (before, at, Stop::CatchAll);
        }
        if at_param {
            return (before, at, Stop::Param);
        }
        hash = mix(before, PARAM_MARK);
    }
    (hash, at, Stop::End)
}

/// A hash of the pattern's shape: equal for two patterns that are the same up to parameter
/// names, so that routes that may conflict can be found by hash, not by comparing every pair.
/// Two shapes may share a hash without being equal: compare with [`conflicts`].
pub const fn shape_hash(pattern: &str) -> u64 {
    match walk(pattern, 0, SHAPE_START, false) {
        (hash, _, Stop::CatchAll) => mix(hash, CATCH_ALL_MARK),
        (hash, _, _) => hash,
    }
}

/// For a pattern whose last segment is a catch-all, the hash of its shape with a parameter in
/// the catch-all's place: what [`param_twins`] gives for a pattern with a parameter there after
/// the same segments, which is exactly a pattern the catch-all [`conflicts`] with.
pub const fn catch_all_twin(pattern: &str) -> Option<u64> {
    match walk(pattern, 0, SHAPE_START, false) {
        (hash, _, Stop::CatchAll) => Some(mix(hash, PARAM_MARK)),
        _ => None,
    }
}

/// The hash of the shape of `pattern` up to and with its next parameter, from where `from`
/// stopped (start with [`ParamTwins::new`]): at each parameter, the [`catch_all_twin`] of a
/// catch-all route after the same segments. `None` once no parameter is left.
pub const fn param_twins(pattern: &str, from: ParamTwins) -> Option<(u64, ParamTwins)> {
    match walk(pattern, from.at, from.hash, true) {
        (hash, at, Stop::Param) => {
            let twin = mix(hash, PARAM_MARK);
            Some((twin, ParamTwins { hash: twin, at }))
        }
        _ => None,
    }
}

/// Where [`param_twins`] goes on from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamTwins {
    hash: u64,
    at: usize,
}

impl ParamTwins {
    /// The start of a pattern.
    pub const fn new() -> ParamTwins {
        ParamTwins {
            hash: SHAPE_START,
            at: 0,
        }
    }
}

impl Default for ParamTwins {
    fn default() -> Self {
        ParamTwins::new()
    }
}

/// Whether a valid pattern matches a request path (without its query): literals byte for byte,
/// a parameter any one non-empty segment, a catch-all the non-empty rest.
pub fn matches(pattern: &str, path: &str) -> bool {
    let mut segments = path.strip_prefix('/').map(|p| p.split('/'));
    let mut at = 1;
    if pattern == "/" {
        return path == "/";
    }
    while let Some((seg, next)) = next_segment(pattern, at) {
        at = next;
        let Some(part) = segments.as_mut().and_then(Iterator::next) else {
            return false;
        };
        match seg.kind {
            SegmentKind::Literal if part != &pattern[seg.start..seg.end] => return false,
            SegmentKind::Literal => {}
            SegmentKind::Param if part.is_empty() => return false,
            SegmentKind::Param => {}
            SegmentKind::CatchAll => return !part.is_empty(),
        }
    }
    segments.is_some_and(|mut rest| rest.next().is_none())
}

/// The parameters of a valid pattern, in order, as `(name, is_catch_all)`.
pub fn params(pattern: &str) -> Params<'_> {
    Params { pattern, at: 1 }
}

/// Iterator over a pattern's parameters; see [`params`].
#[derive(Clone, Debug)]
pub struct Params<'a> {
    pattern: &'a str,
    at: usize,
}

impl<'a> Iterator for Params<'a> {
    type Item = (&'a str, bool);

    fn next(&mut self) -> Option<(&'a str, bool)> {
        while let Some((seg, next)) = next_segment(self.pattern, self.at) {
            self.at = next;
            match seg.kind {
                SegmentKind::Literal => {}
                kind => {
                    return Some((
                        &self.pattern[seg.start..seg.end],
                        kind == SegmentKind::CatchAll,
                    ));
                }
            }
        }
        None
    }
}
