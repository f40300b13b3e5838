//! Messages built in constant evaluation, where nothing can be allocated.

use super::{Manifest, RouteDecl};

/// A message built in constant evaluation: a fixed buffer, since nothing can be allocated there.
pub(super) struct Msg {
    buf: [u8; 1024],
    len: usize,
}

impl Msg {
    pub(super) const fn new() -> Msg {
        Msg {
            buf: [0; 1024],
            len: 0,
        }
    }

    /// Appends `s`; text past the buffer's end is cut (at a character boundary).
    pub(super) const fn push(mut self, s: &str) -> Msg {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.buf.len() {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
        while self.len > 0 && !is_char_boundary(&self.buf, self.len) {
            self.len -= 1;
        }
        self
    }

    pub(super) const fn push_u32(mut self, mut n: u32) -> Msg {
        let mut digits = [0u8; 10];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        while count > 0 && self.len < self.buf.len() {
            count -= 1;
            self.buf[self.len] = digits[count];
            self.len += 1;
        }
        self
    }

    /// `` `Blog::list` in module `blog` (src/blog.rs:10)``; `` `HEALTH` (src/lib.rs:4)`` for a
    /// route declared on its own.
    pub(super) const fn side(self, module: &Manifest, r: &RouteDecl) -> Msg {
        let msg = self.push("`").push(r.handler).push("`");
        let msg = if module.standalone {
            msg
        } else {
            msg.push(" in module `").push(module.name).push("`")
        };
        msg.at(r.file, r.line)
    }

    /// `` `name` (src/blog.rs:3)``: a module, by the name given, where it is declared.
    pub(super) const fn declared(self, name: &str, module: &Manifest) -> Msg {
        self.push("`")
            .push(name)
            .push("`")
            .at(module.file, module.line)
    }

    /// `` (file:line)``.
    pub(super) const fn at(self, file: &str, line: u32) -> Msg {
        self.push(" (")
            .push(file)
            .push(":")
            .push_u32(line)
            .push(")")
    }

    pub(super) const fn as_str(&self) -> &str {
        let (used, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(used) {
            Ok(s) => s,
            Err(_) => "chopin: invalid application (the message could not be built)",
        }
    }
}

const fn is_char_boundary(buf: &[u8], at: usize) -> bool {
    at >= buf.len() || (buf[at] as i8) >= -0x40
}
