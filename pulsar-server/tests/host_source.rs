//! The host a process reports can be another one's: `--host-name`, `--host-proc`,
//! `--host-sys` and `--host-root-fs` point the sampler at a host's mounted `/proc`, `/sys`
//! and `/` (as a container's worker does) and name what it reports.

use std::time::Duration;

use pulsar_server::config::{HostSource, Settings};
use pulsar_server::serve::serve;
use serde_json::json;
use tokio::net::TcpListener;

mod support;
use support::eventually;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sampler_reports_the_host_it_is_pointed_at_under_the_name_given() {
    let data = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = Settings {
        data_dir: data.path().to_owned(),
        host_interval: Duration::from_millis(200),
        host: HostSource {
            name: Some("edge-7".into()),
            proc_root: Some("/proc".into()),
            sys_root: Some("/sys".into()),
            root_fs: Some("/".into()),
        },
        ..Settings::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(serve(listener, settings, async {
        let _ = stopped.await;
    }));
    let snapshot = eventually(10, "a sample of edge-7", || async {
        let (_, got) = support::rpc(
            addr,
            "HostService",
            "GetHostSnapshot",
            json!({"host": "edge-7"}),
        )
        .await;
        got.get("snapshot").cloned()
    })
    .await;
    assert_eq!(snapshot["host"], "edge-7");
    assert!(
        snapshot["memory"]["totalBytes"].as_str().is_some(),
        "{snapshot}"
    );
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}
