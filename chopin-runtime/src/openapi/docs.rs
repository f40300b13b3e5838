//! The interactive viewer served at `/docs`: Scalar's API reference, reading the description
//! from the application's own `/openapi.json`.

/// The viewer's version, pinned so that the page does not change under the application.
const SCALAR: &str = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.72.1";

/// The HTML page of the viewer for the description served at `spec_path`, titled `title`.
///
/// The page loads Scalar's script from its CDN, in the browser that opens it: the server itself
/// needs no network.
pub fn docs_page(title: &str, spec_path: &str) -> String {
    format!(
        r#"<!doctype html>
<html>
  <head>
    <title>{title}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" data-url="{spec}"></script>
    <script src="{SCALAR}"></script>
  </body>
</html>
"#,
        title = escape(title),
        spec = escape(spec_path),
    )
}

/// `s` as HTML text or an attribute value.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_reads_the_description_from_its_path_and_escapes_what_it_is_given() {
        let page = docs_page("Blog <API>", "/api/openapi.json");
        assert!(page.contains(r#"data-url="/api/openapi.json""#));
        assert!(page.contains("<title>Blog &lt;API&gt;</title>"));
        assert!(page.contains(SCALAR));
    }
}
