//! The dashboard: the built web app (`web/dist`) served from a directory, with every path
//! that is not a file answered by `index.html` so the app's own routes load directly.
//! Without a built dashboard, `/` says how to build one instead of a bare 404.

use std::path::Path;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::{MethodRouter, any, any_service};
use tower_http::services::{ServeDir, ServeFile};

/// Where the built dashboard is looked for unless told otherwise (relative to the working
/// directory: the repository root when run with `cargo run`).
pub const DEFAULT_WEB_DIR: &str = "web/dist";

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Pulsar</title>\
<body style=\"font-family:system-ui;max-width:40rem;margin:4rem auto;line-height:1.5\">\
<h1>Pulsar is running</h1><p>The API and live events are up, but the dashboard is not \
built. From the repository, run <code>npm --prefix web ci &amp;&amp; npm --prefix web run \
build</code>, or point <code>--web-dir</code> (<code>PULSAR_WEB_DIR</code>) at a built \
dashboard.</p></body>";

/// The dashboard in `dir` as a service for every request no route takes.
pub(crate) fn dashboard(dir: &Path) -> MethodRouter {
    let index = dir.join("index.html");
    if !index.is_file() {
        return any(|| async { (StatusCode::OK, Html(NOT_BUILT)).into_response() });
    }
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .fallback(ServeFile::new(index));
    any_service(files)
}
