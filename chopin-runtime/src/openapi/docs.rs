//! The interactive viewer served at `DOCS_PATH`: Scalar's API reference, reading the description
//! from the application's own `OPENAPI_PATH`.
//!
//! With `DOCS_UI=bundled` (the default) the page loads Scalar's script from the application
//! itself ([`super::scalar`]), and its content security policy lets it reach nothing else: the
//! viewer works in a browser that reaches only the application. With `DOCS_UI=cdn` the page
//! loads the same version from jsDelivr, and its policy allows that origin too.

use crate::config::DocsUi;

/// The version of Scalar's API reference the page loads: the one vendored in
/// `assets/scalar/` (its `update.sh` sets this line; a test checks they agree).
pub(crate) const SCALAR_VERSION: &str = "1.72.1";

/// Where the CDN serves the pinned version.
const CDN_ORIGIN: &str = "https://cdn.jsdelivr.net";

/// Scalar's settings: no fonts from fonts.scalar.com (the page's own fonts serve; a policy that
/// allows only the application would refuse them anyway).
const CONFIGURATION: &str = r#"{"withDefaultFonts":false}"#;

/// The policy of the page that loads the script from the application: scripts, the description
/// and the "try it" requests from its own origin only. Scalar writes its styles into `<style>`
/// elements and `style` attributes, hence `'unsafe-inline'` for styles (never for scripts); it
/// draws icons as `data:` images.
const CSP_BUNDLED: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// As [`CSP_BUNDLED`], the script from the CDN besides.
const CSP_CDN: &str = "default-src 'none'; script-src 'self' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// The viewer as the configuration serves it: its page at `docs_path` and, when bundled, the
/// script beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Viewer {
    ui: DocsUi,
    docs_path: String,
}

impl Viewer {
    /// The viewer whose page is at `docs_path`.
    pub(crate) fn new(ui: DocsUi, docs_path: &str) -> Viewer {
        Viewer {
            ui,
            docs_path: docs_path.to_owned(),
        }
    }

    /// Where the application serves Scalar's script, or `None` when the page loads it from the
    /// CDN. Under the page's path, so `DOCS_PATH` moves both; the version is in the name, so
    /// that a browser that cached one version for a year fetches the next.
    pub(crate) fn script_path(&self) -> Option<String> {
        match self.ui {
            DocsUi::Bundled => Some(format!(
                "{}/scalar-{SCALAR_VERSION}.js",
                self.docs_path.trim_end_matches('/')
            )),
            DocsUi::Cdn => None,
        }
    }

    /// The page's `content-security-policy`.
    pub(crate) fn csp(&self) -> &'static str {
        match self.ui {
            DocsUi::Bundled => CSP_BUNDLED,
            DocsUi::Cdn => CSP_CDN,
        }
    }

    /// The HTML page showing the description served at `spec_path`, titled `title`.
    pub(crate) fn page(&self, title: &str, spec_path: &str) -> String {
        let script = self
            .script_path()
            .unwrap_or_else(|| format!("{CDN_ORIGIN}/npm/@scalar/api-reference@{SCALAR_VERSION}"));
        format!(
            r#"<!doctype html>
<html>
  <head>
    <title>{title}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" data-url="{spec}" data-configuration="{configuration}"></script>
    <script src="{script}"></script>
  </body>
</html>
"#,
            title = escape(title),
            spec = escape(spec_path),
            configuration = escape(CONFIGURATION),
            script = escape(&script),
        )
    }
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
        let page =
            Viewer::new(DocsUi::Bundled, "/docs").page("Blog <API> & \"co\"", "/api/o'.json");
        assert!(page.contains(r#"data-url="/api/o&#39;.json""#), "{page}");
        assert!(
            page.contains("<title>Blog &lt;API&gt; &amp; &quot;co&quot;</title>"),
            "{page}"
        );
        assert!(
            page.contains(r#"data-configuration="{&quot;withDefaultFonts&quot;:false}""#),
            "{page}"
        );
    }

    #[test]
    fn the_bundled_page_loads_the_script_beside_it_under_its_version() {
        let viewer = Viewer::new(DocsUi::Bundled, "/docs");
        let script = format!("/docs/scalar-{SCALAR_VERSION}.js");
        assert_eq!(viewer.script_path(), Some(script.clone()));
        let page = viewer.page("Blog", "/openapi.json");
        assert!(
            page.contains(&format!(r#"<script src="{script}"></script>"#)),
            "{page}"
        );
        assert!(!page.contains("https://"), "{page}");

        // Any path `DOCS_PATH` takes, the root and a trailing slash included.
        for (docs, dir) in [
            ("/api/reference", "/api/reference/"),
            ("/reference/", "/reference/"),
            ("/", "/"),
        ] {
            let viewer = Viewer::new(DocsUi::Bundled, docs);
            let script = format!("{dir}scalar-{SCALAR_VERSION}.js");
            assert_eq!(viewer.script_path(), Some(script));
        }
    }

    #[test]
    fn the_bundled_pages_policy_allows_only_the_application() {
        let csp = Viewer::new(DocsUi::Bundled, "/docs").csp();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
        ] {
            assert!(
                csp.split("; ").any(|d| d == directive),
                "{directive} in {csp}"
            );
        }
        assert!(!csp.contains("http"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert!(!csp.contains('*'), "{csp}");
        // Inline styles only; never an inline script.
        assert_eq!(csp.matches("'unsafe-inline'").count(), 1, "{csp}");
        assert!(csp.contains("style-src 'self' 'unsafe-inline'"), "{csp}");
    }

    #[test]
    fn the_cdn_page_loads_the_pinned_version_and_its_policy_allows_that_origin() {
        let viewer = Viewer::new(DocsUi::Cdn, "/docs");
        assert_eq!(viewer.script_path(), None);
        let page = viewer.page("Blog", "/openapi.json");
        let script = format!("https://cdn.jsdelivr.net/npm/@scalar/api-reference@{SCALAR_VERSION}");
        assert!(
            page.contains(&format!(r#"<script src="{script}"></script>"#)),
            "{page}"
        );
        assert!(
            viewer
                .csp()
                .contains("script-src 'self' https://cdn.jsdelivr.net;"),
            "{}",
            viewer.csp()
        );
    }
}
