//! `pulsar serve` as a user runs it: JSON log lines when asked, `pulsar healthcheck` answered,
//! and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn serve_logs_json_lines_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulsar"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("RUST_LOG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start pulsar serve");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let up = lines.next().expect("a first log line").unwrap();
    let up: serde_json::Value = serde_json::from_str(&up).expect("a JSON log line");
    assert_eq!(up["fields"]["message"], "pulsar is up", "{up}");
    assert!(
        up["fields"]["address"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    let address = up["fields"]["address"].as_str().unwrap().to_owned();
    let healthy = healthcheck(&["--listen", &address]);
    assert!(healthy.status.success(), "{healthy:?}");
    assert!(String::from_utf8_lossy(&healthy.stdout).contains("answered 200"));
    // A worker answers on its operations address when the API's is not its own.
    let worker = healthcheck(&["--listen", "127.0.0.1:9", "--metrics-listen", &address]);
    assert!(worker.status.success(), "{worker:?}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "pulsar serve did not stop within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");

    // Gone: unhealthy, exit 1 (what a container's HEALTHCHECK reads), with the reason.
    let gone = healthcheck(&["--listen", &address, "--timeout", "1s"]);
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
    let said = String::from_utf8_lossy(&gone.stderr);
    assert!(said.starts_with("pulsar: unhealthy: 127.0.0.1:"), "{said}");
}

fn healthcheck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pulsar"))
        .arg("healthcheck")
        .args(args)
        .env_remove("PULSAR_LISTEN")
        .env_remove("PULSAR_METRICS_LISTEN")
        .output()
        .expect("run pulsar healthcheck")
}
