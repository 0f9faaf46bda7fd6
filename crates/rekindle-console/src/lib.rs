//! The console's built files, embedded. [`asset`] finds one by its URL path.

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// A built file: its bytes and the `Content-Type` to serve it with.
pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
    /// Vite puts content-hashed files under `assets/`: they never change, so they may be
    /// cached for good.
    pub immutable: bool,
}

/// The file at `path` (without the leading `/`), if the build has one.
pub fn asset(path: &str) -> Option<Asset> {
    let path = path.trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    ASSETS.iter().find(|(p, _)| *p == path).map(|(p, bytes)| Asset {
        bytes,
        content_type: content_type(p),
        immutable: p.starts_with("assets/"),
    })
}

/// The single page every console route loads.
pub fn index() -> Asset {
    asset("index.html").expect("the build script checked index.html exists")
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_embedded_with_its_page_and_scripts() {
        let index = index();
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        let html = std::str::from_utf8(index.bytes).unwrap();
        assert!(html.contains("<div id=\"app\">"), "{html}");
        assert!(ASSETS.iter().any(|(p, _)| p.starts_with("assets/") && p.ends_with(".js")));
        assert!(asset("/no/such/file").is_none());
    }
}
