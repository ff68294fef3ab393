//! The dashboard, served behind every route the API does not take:
//!
//! - from the binary itself (embedded at build time from `web/dist`, see `build.rs`), or
//!   from `--web-dir` when given;
//! - a path that is not a file is answered with `index.html`, so the app's own routes load
//!   directly;
//! - Vite's hashed files under `/assets/` are cached for a year (`immutable`), while
//!   `index.html` is revalidated on every load (`no-cache`), so a new build shows at once;
//! - without a built dashboard, `/` says how to build one instead of a bare 404.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, get_service};
use tower_http::services::{ServeDir, ServeFile};

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Pulsar</title>\
<body style=\"font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5\">\
<h1>Pulsar is running</h1><p>The API and live events are up, but this binary holds no \
dashboard. Build one with <code>npm --prefix web ci &amp;&amp; npm --prefix web run \
build</code> and rebuild the binary (a release build does both), or point \
<code>--web-dir</code> (<code>PULSAR_WEB_DIR</code>) at a built dashboard.</p></body>";

/// Where the dashboard comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Dashboard {
    /// What the binary embeds (possibly nothing).
    #[default]
    Embedded,
    /// A built dashboard in this directory.
    Directory(PathBuf),
}

/// The dashboard as a service for every GET (and HEAD) no route takes; any other method
/// there is 405, so a mistyped API call is not answered with a page.
pub(crate) fn dashboard(source: &Dashboard) -> MethodRouter {
    match source {
        Dashboard::Embedded => embedded(ASSETS),
        Dashboard::Directory(dir) => directory(dir),
    }
}

/// Serves `assets` (path, contents) with the SPA fallback and cache headers.
pub(crate) fn embedded(assets: &'static [(&'static str, &'static [u8])]) -> MethodRouter {
    let Some(index) = assets
        .iter()
        .find(|(path, _)| *path == "index.html")
        .map(|a| a.1)
    else {
        return get(not_built);
    };
    get(move |uri: Uri, headers: HeaderMap| async move {
        let path = uri.path().trim_start_matches('/');
        let gzip = accepts_gzip(&headers);
        let file = |name: &str| assets.iter().find(|(n, _)| *n == name).map(|a| a.1);
        match assets.iter().find(|(name, _)| *name == path) {
            Some((name, body)) if *name != "index.html" => {
                // Vite writes a .gz beside each asset: sent to browsers that take gzip.
                let packed = gzip.then(|| file(&format!("{name}.gz"))).flatten();
                asset(name, packed.unwrap_or(body), packed.is_some())
            }
            _ => page(index),
        }
    })
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|c| c.trim().starts_with("gzip")))
}

fn directory(dir: &Path) -> MethodRouter {
    let index = dir.join("index.html");
    if !index.is_file() {
        return get(not_built);
    }
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(index));
    get_service(files)
}

async fn not_built() -> Response {
    (StatusCode::OK, Html(NOT_BUILT)).into_response()
}

fn page(index: &'static [u8]) -> Response {
    let mut response = Html(index).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    response
}

fn asset(name: &str, body: &'static [u8], gzipped: bool) -> Response {
    let cache = if name.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, content_type(name))
        .header(header::CACHE_CONTROL, cache)
        .header(header::VARY, "accept-encoding");
    if gzipped {
        response = response.header(header::CONTENT_ENCODING, "gzip");
    }
    response
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The types a Vite build produces; anything else is served as bytes.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
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
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    static FAKE: &[(&str, &[u8])] = &[
        ("index.html", b"<div id=root></div>"),
        ("assets/app-3f2a.js", b"console.log(1)"),
        ("assets/app-3f2a.js.gz", b"gzipped bytes"),
        ("favicon.svg", b"<svg/>"),
    ];

    async fn get(router: &Router, path: &str) -> (StatusCode, String, String, String) {
        get_with(router, path, "").await
    }

    async fn get_with(
        router: &Router,
        path: &str,
        encodings: &str,
    ) -> (StatusCode, String, String, String) {
        let request = axum::http::Request::get(path)
            .header(header::ACCEPT_ENCODING, encodings)
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let (kind, cache) = (header(header::CONTENT_TYPE), header(header::CACHE_CONTROL));
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            String::from_utf8_lossy(&body).into_owned(),
            kind,
            cache,
        )
    }

    #[tokio::test]
    async fn embedded_files_have_types_cache_headers_and_an_app_fallback() {
        let router = Router::new().fallback_service(embedded(FAKE));
        let (status, body, kind, cache) = get(&router, "/assets/app-3f2a.js").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "console.log(1)"));
        assert_eq!(
            (kind.as_str(), cache.as_str()),
            ("text/javascript; charset=utf-8", IMMUTABLE)
        );
        let (_, body, kind, _) = get_with(&router, "/assets/app-3f2a.js", "br, gzip").await;
        assert_eq!(body, "gzipped bytes");
        assert_eq!(kind, "text/javascript; charset=utf-8");
        let (_, _, kind, cache) = get(&router, "/favicon.svg").await;
        assert_eq!(
            (kind.as_str(), cache.as_str()),
            ("image/svg+xml", REVALIDATE)
        );
        for route in ["/", "/index.html", "/monitors/123", "/assets/gone.js"] {
            let (status, body, kind, cache) = get(&router, route).await;
            assert_eq!(status, StatusCode::OK, "{route}");
            assert_eq!(body, "<div id=root></div>", "{route}");
            assert!(kind.starts_with("text/html"), "{route}");
            assert_eq!(cache, REVALIDATE, "{route}");
        }
        let empty = Router::new().fallback_service(embedded(&[]));
        assert!(get(&empty, "/").await.1.contains("npm --prefix web ci"));
    }
}
