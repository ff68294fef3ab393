//! The dashboard is served behind the API: files as they are, the app's own routes as
//! `index.html`, and a page that says how to build it when it is not built.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pulsar_server::config::Settings;
use pulsar_server::{AppState, app};
use pulsar_store::{SqliteOptions, SqliteStore};
use tower::ServiceExt;

async fn get(state: &AppState, path: &str) -> (StatusCode, String) {
    let response = app(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn state(web_dir: &std::path::Path) -> AppState {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .unwrap();
    let settings = Settings {
        web_dir: Some(web_dir.to_owned()),
        ..Settings::default()
    };
    AppState::new(Arc::new(store)).with_settings(&settings)
}

#[tokio::test]
async fn files_routes_and_the_api_share_one_origin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<div id=root></div>").unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/app.js"), "console.log(1)").unwrap();
    let state = state(dir.path()).await;

    assert_eq!(
        get(&state, "/").await,
        (StatusCode::OK, "<div id=root></div>".into())
    );
    assert_eq!(get(&state, "/assets/app.js").await.1, "console.log(1)");
    // A route of the app loads the app.
    assert_eq!(get(&state, "/monitors/1234").await.1, "<div id=root></div>");
    // The API and health keep their routes.
    assert_eq!(
        get(&state, "/healthz").await,
        (StatusCode::OK, "ok\n".into())
    );
    // A mistyped API call is not answered with the page: 405 off the API's paths, and the
    // Connect layer's own answer (415 without a content type) on its two-segment ones.
    for (path, status) in [
        (
            "/pulsar.v1/MonitorService/ListMonitors",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("/monitors/1234", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let response = app(state.clone())
            .oneshot(Request::post(path).body(Body::from("{}")).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}");
    }
}

#[tokio::test]
async fn without_a_built_dashboard_the_root_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = state(&dir.path().join("missing")).await;
    let (status, page) = get(&state, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("npm --prefix web ci"), "{page}");
}
