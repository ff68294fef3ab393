//! Config as code against a real store: apply, apply again with no change, change, prune,
//! and a bad file refused before anything changes; and the CLI's refusals in one line.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::SystemTime;

use pulsar_server::config::ConfigFile;
use pulsar_server::config::declared::{Applied, apply};
use pulsar_store::{MonitorFilter, PageRequest, SqliteOptions, SqliteStore, Store};

const FILE: &str = r#"
[[monitors]]
name = "home"
url = "https://example.com/"
interval = "30s"
labels = { team = "web" }

[[monitors]]
name = "api"
url = "https://api.example.com/health"
headers = { Authorization = "Bearer ${API_TOKEN}" }
expected_status = ["200-204"]
remind_every = "15m"

[[channels]]
name = "on-call"
kind = "webhook"
config = { url = "https://hooks.example/on-call" }
monitors = ["api"]
"#;

fn parse(text: &str) -> ConfigFile {
    let env = |name: &str| (name == "API_TOKEN").then(|| "t0ken".to_owned());
    ConfigFile::parse(Path::new("pulsar.toml"), text, env).unwrap()
}

async fn names(store: &dyn Store) -> Vec<String> {
    let page = store
        .list_monitors(&MonitorFilter::default(), &PageRequest::first(100))
        .await
        .unwrap();
    page.items.into_iter().map(|m| m.name).collect()
}

#[tokio::test]
async fn a_file_applies_idempotently_updates_and_prunes() {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let now = SystemTime::now();
    let file = parse(FILE);

    let first = apply(store.as_ref(), &file.declared, false, now)
        .await
        .unwrap();
    assert_eq!(
        first,
        Applied {
            created: 3,
            ..Applied::default()
        }
    );
    assert_eq!(names(store.as_ref()).await, ["api", "home"]);
    let api = store
        .list_monitors(&MonitorFilter::default(), &PageRequest::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(api.check.headers[0].value, "Bearer t0ken");
    assert_eq!(api.remind_every, Some(std::time::Duration::from_secs(900)));
    let channel = store.list_channels().await.unwrap().remove(0);
    let routing = store.get_channel_routing(channel.id).await.unwrap();
    assert_eq!(
        routing.monitor_ids.into_iter().collect::<Vec<_>>(),
        [api.id]
    );

    // The same file again writes nothing.
    let again = apply(store.as_ref(), &file.declared, true, now)
        .await
        .unwrap();
    assert_eq!(
        again,
        Applied {
            unchanged: 3,
            ..Applied::default()
        }
    );
    assert_eq!(
        store.get_monitor(api.id).await.unwrap().updated_at,
        api.updated_at
    );

    // A monitor made through the API stays unless pruning.
    let mut extra = pulsar_core::Monitor::new("made-by-hand", "https://hand.example/");
    extra.id = pulsar_core::MonitorId::new();
    store.create_monitor(&extra, now).await.unwrap();
    let changed = parse(&FILE.replace("interval = \"30s\"", "interval = \"45s\""));
    let kept = apply(store.as_ref(), &changed.declared, false, now)
        .await
        .unwrap();
    assert_eq!(
        kept,
        Applied {
            updated: 1,
            unchanged: 2,
            ..Applied::default()
        }
    );
    assert_eq!(names(store.as_ref()).await, ["api", "home", "made-by-hand"]);

    let pruned = apply(store.as_ref(), &changed.declared, true, now)
        .await
        .unwrap();
    assert_eq!(
        pruned,
        Applied {
            unchanged: 3,
            deleted: 1,
            ..Applied::default()
        }
    );
    assert_eq!(names(store.as_ref()).await, ["api", "home"]);

    // Dropping a monitor the channel routes to is refused before any write.
    let without_api = r#"
[[monitors]]
name = "home"
url = "https://example.com/"
interval = "45s"
labels = { team = "web" }

[[channels]]
name = "on-call"
kind = "webhook"
config = { url = "https://hooks.example/on-call" }
monitors = ["api"]
"#;
    let refused = apply(store.as_ref(), &parse(without_api).declared, true, now).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("no monitor named \"api\"")
    );
    assert_eq!(names(store.as_ref()).await, ["api", "home"]);
}

fn pulsar(args: &[&str], dir: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pulsar"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("PULSAR_ADMIN_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn the_cli_refuses_a_bad_file_and_an_open_public_listener_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pulsar.toml");
    std::fs::write(
        &config,
        "[[monitors]]\nname = \"x\"\nurl = \"gopher://x\"\n",
    )
    .unwrap();
    let (code, stderr) = pulsar(&["serve", "--config", config.to_str().unwrap()], dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("pulsar.toml:1: monitors[0] \"x\""),
        "{stderr}"
    );
    assert!(
        !dir.path().join("pulsar.db").exists(),
        "a refused file opened the database"
    );

    let (code, stderr) = pulsar(&["serve", "--listen", "0.0.0.0:0"], dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--allow-unauthenticated"), "{stderr}");
}

const WINDOWS: &str = r#"
[[monitors]]
name = "db"
url = "https://db.example.com/health"

[[maintenance]]
name = "nightly backups"
weekly = { days = ["mon", "Tuesday"], start = "02:00", duration = "30m", utc_offset = "+01:00" }
monitors = ["db"]

[[maintenance]]
name = "move"
once = { start = "2026-12-01T02:00:00Z", end = "2026-12-01T05:00+01:00" }
all_monitors = true
"#;

#[tokio::test]
async fn maintenance_windows_apply_by_name_with_their_monitors() {
    let store = SqliteStore::open_with(SqliteOptions::in_memory())
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let now = SystemTime::now();
    let file = parse(WINDOWS);
    let first = apply(store.as_ref(), &file.declared, false, now)
        .await
        .unwrap();
    assert_eq!(first.created, 3);
    let windows = store.list_windows().await.unwrap();
    let db = store
        .list_monitors(&MonitorFilter::default(), &PageRequest::first(1))
        .await
        .unwrap()
        .items
        .remove(0);
    let nightly = &windows[1];
    assert_eq!(nightly.name, "nightly backups");
    assert_eq!(
        nightly.schedule,
        pulsar_core::WindowSchedule::Weekly {
            days: [0, 1].into(),
            start_minute: 120,
            duration_minutes: 30,
            utc_offset_minutes: 60,
        }
    );
    assert_eq!(nightly.monitor_ids.iter().collect::<Vec<_>>(), [&db.id]);
    let pulsar_core::WindowSchedule::Once { start, end } = windows[0].schedule else {
        panic!("a one-off window");
    };
    assert_eq!(end.duration_since(start).unwrap().as_secs(), 2 * 3600);

    let again = apply(store.as_ref(), &file.declared, true, now)
        .await
        .unwrap();
    assert_eq!((again.unchanged, again.created, again.updated), (3, 0, 0));
    let fewer = parse(&WINDOWS[..WINDOWS.find("[[maintenance]]\nname = \"move\"").unwrap()]);
    let pruned = apply(store.as_ref(), &fewer.declared, true, now)
        .await
        .unwrap();
    assert_eq!(pruned.deleted, 1);
    assert_eq!(store.list_windows().await.unwrap().len(), 1);

    // A bad window is refused with its line, before anything is written.
    let bad = WINDOWS.replace("\"02:00\"", "\"26:00\"");
    let env = |_: &str| None;
    let error = ConfigFile::parse(Path::new("pulsar.toml"), &bad, env).unwrap_err();
    assert_eq!(error.line, Some(6), "{error}");
    assert!(
        error
            .message
            .contains("maintenance[0] \"nightly backups\": weekly.start"),
        "{error}"
    );
    let unknown = WINDOWS.replace("monitors = [\"db\"]", "monitors = [\"nope\"]");
    let refused = apply(store.as_ref(), &parse(&unknown).declared, false, now).await;
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("no monitor named \"nope\""), "{message}");
}
