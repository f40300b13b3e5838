//! What a file is, by its bytes; what its name may be; which types a browser would run.

/// How many leading bytes the detection reads: enough for every magic number `infer` knows and
/// for the markup at the start of a text file.
pub(crate) const SNIFF_BYTES: usize = 8 * 1024;

/// The media type of a file that starts with `head` (its first [`SNIFF_BYTES`], or all of it
/// when shorter), never the client's claim: a magic number `infer` knows, else markup a browser
/// would render (HTML, SVG, XML), else UTF-8 text, else `application/octet-stream`.
pub(crate) fn content_type(head: &[u8]) -> &'static str {
    // infer's text matchers (HTML, XML, shell scripts) are left to the markup check below,
    // which knows SVG.
    if let Some(kind) = infer::get(head)
        && kind.matcher_type() != infer::MatcherType::Text
    {
        return kind.mime_type();
    }
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut at the end of the sniffed bytes is still text.
        Err(e) if e.error_len().is_none() && head.len() >= SNIFF_BYTES => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return "application/octet-stream",
    };
    if text.contains('\0') {
        return "application/octet-stream";
    }
    let start = prefix(text.trim_start_matches('\u{feff}').trim_start(), 256).to_ascii_lowercase();
    // Browsers sniff markup near the start; we look at every byte sniffed, for the types they
    // would run.
    let lower = text.to_ascii_lowercase();
    if lower.contains("<svg") {
        "image/svg+xml"
    } else if start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || ["<script", "<head", "<body", "<iframe", "<!--"]
            .iter()
            .any(|tag| lower.contains(tag))
    {
        "text/html"
    } else if start.starts_with("<?xml") {
        "application/xml"
    } else {
        "text/plain"
    }
}

/// The longest start of `text` of at most `bytes` bytes that ends between characters.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A media type without its parameters: `text/html` of `text/html; charset=utf-8`.
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// Whether a browser given `content_type` inline on the application's origin could run script
/// in it: those files are served as downloads (`content-disposition: attachment`).
pub(crate) fn is_active(content_type: &str) -> bool {
    let essence = essence(content_type).to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "text/html"
            | "application/xhtml+xml"
            | "image/svg+xml"
            | "application/xml"
            | "text/xml"
            | "text/javascript"
            | "application/javascript"
            | "application/x-javascript"
            | "application/ecmascript"
            | "text/css"
            | "application/pdf"
            | "application/x-shockwave-flash"
            | "application/wasm"
    ) || essence.ends_with("+xml")
}

/// Whether `content_type` is one of `patterns`: exact types (`application/pdf`) or families
/// (`image/*`), in any case; `*/*` accepts everything.
pub(crate) fn accepted(content_type: &str, patterns: &[&str]) -> bool {
    let essence = essence(content_type);
    patterns.iter().any(|pattern| {
        let pattern = pattern.trim();
        match pattern.strip_suffix("/*") {
            Some("*") => true,
            Some(family) => essence
                .split_once('/')
                .is_some_and(|(f, _)| f.eq_ignore_ascii_case(family)),
            None => essence.eq_ignore_ascii_case(pattern),
        }
    })
}

/// The longest file name kept, in bytes (most file systems' limit).
pub(crate) const MAX_NAME_BYTES: usize = 255;

/// The client's file name, as it is recorded: trimmed, and refused (with the reason) when it
/// could mean a path or break a header: a separator, `.` or `..`, a control character (NUL
/// among them), nothing, or more than [`MAX_NAME_BYTES`]. The name is only ever metadata; the
/// object's key is random.
pub(crate) fn file_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("the file part's name is empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return Err("the file name is longer than 255 bytes");
    }
    if name.chars().any(char::is_control) {
        return Err("the file name holds a control character");
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err("the file name is a path: it names a file, without `/`, `\\`, `.` or `..`");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(content_type(png), "image/png");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type(b"hello, world\n"), "text/plain");
        assert_eq!(
            content_type(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"),
            "image/svg+xml"
        );
        assert_eq!(
            content_type(b"\xef\xbb\xbf  <!DOCTYPE html><p>x"),
            "text/html"
        );
        assert_eq!(
            content_type(b"just text <script>alert(1)</script>"),
            "text/html"
        );
        assert_eq!(content_type(b"\0\x01\x02\xff"), "application/octet-stream");
        // Markup is found wherever it is in the sniffed bytes, and wherever a character falls.
        for pad in 250..260 {
            let mut text = "é".repeat(pad);
            text.push_str(" notes <script>alert(1)</script>");
            text.push_str(&"a".repeat(5000));
            assert_eq!(content_type(text.as_bytes()), "text/html", "{pad}");
        }
        for pad in 1010..1020 {
            let mut text = format!("<script>alert(1)</script>{}", "a".repeat(pad));
            text.push_str(&"é".repeat(20));
            assert_eq!(content_type(text.as_bytes()), "text/html", "{pad}");
            let svg = format!(
                "   {}<svg/onload=alert(1)>{}",
                "b".repeat(pad),
                "é".repeat(10)
            );
            assert_eq!(content_type(svg.as_bytes()), "image/svg+xml", "{pad}");
        }
    }

    #[test]
    fn knows_what_a_browser_runs() {
        for active in [
            "text/html",
            "image/svg+xml",
            "application/javascript",
            "TEXT/HTML; charset=utf-8",
            "application/atom+xml",
        ] {
            assert!(is_active(active), "{active}");
        }
        for passive in ["image/png", "text/plain", "application/zip", "video/mp4"] {
            assert!(!is_active(passive), "{passive}");
        }
    }

    #[test]
    fn matches_patterns() {
        assert!(accepted("image/png", &["image/*"]));
        assert!(accepted("application/pdf", &["image/*", "Application/PDF"]));
        assert!(!accepted("image/svg+xml", &["image/png", "image/jpeg"]));
        assert!(!accepted("text/html", &["image/*"]));
        assert!(accepted("text/html", &["*/*"]));
    }

    #[test]
    fn refuses_names_that_are_paths() {
        assert_eq!(file_name("  photo.png "), Ok("photo.png".to_owned()));
        assert_eq!(file_name("résumé (1).pdf"), Ok("résumé (1).pdf".to_owned()));
        assert!(file_name("../../etc/passwd").is_err());
        assert!(file_name("C:\\Users\\x.png").is_err());
        assert!(file_name("..").is_err());
        assert!(file_name("a\0b.png").is_err());
        assert!(file_name("a\r\nb.png").is_err());
        assert!(file_name(&"x".repeat(300)).is_err());
        assert!(file_name("").is_err());
    }
}
