//! `pulsar probe` end to end: the built binary against loopback test servers.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use pulsar_probe::testkit::{DnsAnswer, Leaf, ServerOptions, TestDns, TestPki, TestServer};
use serde_json::Value;

async fn pulsar(args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pulsar"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .await
        .expect("run pulsar")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn ca_file(pki: &TestPki, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pulsar-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ca.pem");
    std::fs::write(&path, pki.ca_pem()).unwrap();
    path
}

const PHASE_KEYS: [&str; 6] = [
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "ttfb_ms",
    "download_ms",
    "total_ms",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_contract_for_an_https_check() {
    let pki = TestPki::new().unwrap();
    let options = ServerOptions {
        tls: Some(Leaf::Valid),
        http2: true,
        ..Default::default()
    };
    let server = TestServer::start(&pki, options).await.unwrap();
    let ca = ca_file(&pki, "https");
    let url = server.url("/");
    let output = pulsar(&["probe", "--json", "--ca-file", ca.to_str().unwrap(), &url]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 1);
    let check = &lines[0];
    for key in PHASE_KEYS {
        assert!(check[key].is_f64(), "{key} should be a number: {check}");
    }
    assert_eq!(check["dns_ms"], 0.0, "IP literal");
    assert_eq!(check["url"], url);
    assert_eq!(check["status"], 200);
    assert_eq!(check["outcome"], "up");
    assert_eq!(check["http_version"], "HTTP/2");
    assert_eq!(check["remote_addr"], server.addr().to_string());
    assert!(check["error"].is_null());
    assert!(check["started_at"].as_str().unwrap().ends_with('Z'));
    let hops = check["hops"].as_array().unwrap();
    assert_eq!(hops.len(), 1);
    for key in ["url", "status", "remote_addr", "http_version", "body_bytes"] {
        assert!(!hops[0][key].is_null(), "hop {key}: {check}");
    }
    for key in PHASE_KEYS {
        assert!(hops[0][key].is_f64(), "hop {key}: {check}");
    }
    let tls = &check["tls"];
    assert_eq!(tls["version"], "TLSv1.3");
    assert_eq!(tls["alpn"], "h2");
    assert!(tls["cipher"].as_str().unwrap().starts_with("TLS13_"));
    assert!(tls["subject"].as_str().unwrap().contains("localhost"));
    assert!(tls["issuer"].as_str().unwrap().contains("Pulsar Test CA"));
    assert!(
        tls["sans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "127.0.0.1")
    );
    assert!(tls["not_after"].as_str().unwrap().ends_with('Z'));
    assert!(tls["days_to_expiry"].as_i64().unwrap() >= 0);
    let _ = std::fs::remove_dir_all(ca.parent().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_exits_1_with_the_error_and_null_phases() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = pulsar(&["probe", "--json", &format!("http://127.0.0.1:{port}/")]).await;
    assert_eq!(output.status.code(), Some(1));
    let check = &json_lines(&output)[0];
    assert_eq!(check["outcome"], "down");
    assert_eq!(check["error"]["kind"], "connect_refused");
    assert!(
        check["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refused")
    );
    assert!(check["connect_ms"].is_null() && check["ttfb_ms"].is_null());
    assert!(check["status"].is_null());
    assert!(check["total_ms"].is_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_status_is_a_failed_check() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::start(&pki, ServerOptions::default())
        .await
        .unwrap();
    let output = pulsar(&["probe", "--json", &server.url("/status/503")]).await;
    assert_eq!(output.status.code(), Some(1));
    let check = &json_lines(&output)[0];
    assert_eq!(check["status"], 503);
    assert_eq!(check["error"]["kind"], "status_unexpected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_url_and_bad_options_get_one_line_and_exit_2() {
    for args in [
        vec!["probe", "not a url"],
        vec!["probe", "ftp://127.0.0.1/"],
        vec!["probe", "-H", "no colon here", "http://127.0.0.1/"],
        vec![
            "probe",
            "--ca-file",
            "/nonexistent/ca.pem",
            "http://127.0.0.1/",
        ],
    ] {
        let output = pulsar(&args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("pulsar: "), "{stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
    let output = pulsar(&["probe", "--timeout", "soon", "http://127.0.0.1/"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--timeout"));
    // Errors of the argument parser are one line too.
    for args in [
        vec!["probe", "--timeout", "0s", "http://127.0.0.1/"],
        vec!["probe", "--bogus", "http://127.0.0.1/"],
        vec!["probe"],
    ] {
        let output = pulsar(&args).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("pulsar: "), "{stderr}");
    }
    // The OS error of a missing CA file is said once.
    let output = pulsar(&[
        "probe",
        "--ca-file",
        "/nonexistent/ca.pem",
        "http://127.0.0.1/",
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    // --timeout takes hours, up to the 24 h it promises (the check itself runs at once).
    let output = pulsar(&["probe", "--timeout", "24h", "--json", "http://127.0.0.1:9/"]).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn count_prints_one_line_per_check_and_a_summary() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::start(&pki, ServerOptions::default())
        .await
        .unwrap();
    let url = server.url("/");
    let output = pulsar(&[
        "probe",
        "--json",
        "--count",
        "3",
        "--interval",
        "10ms",
        &url,
    ])
    .await;
    assert_eq!(output.status.code(), Some(0));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 4);
    let summary = &lines[3]["summary"];
    assert_eq!(summary["checks"], 3);
    assert_eq!(summary["up"], 3);
    assert_eq!(summary["down"], 0);
    let phases: Vec<&str> = summary["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["dns", "connect", "ttfb", "download", "total"]);
    let total = &summary["phases"][4];
    assert_eq!(total["samples"], 3);
    assert!(total["p50_ms"].as_f64().unwrap() <= total["p99_ms"].as_f64().unwrap());

    let text = pulsar(&["probe", "--count", "2", "--interval", "10ms", &url]).await;
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("#1") && stdout.contains("#2"), "{stdout}");
    assert!(stdout.contains("p50") && stdout.contains("p99"), "{stdout}");
    assert_eq!(server.connections(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waterfall_without_a_terminal_has_no_colour_codes() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::start(&pki, ServerOptions::default())
        .await
        .unwrap();
    let output = pulsar(&["probe", &server.url("/")]).await;
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains('\x1b'), "{stdout}");
    for phase in [
        "dns", "connect", "tls", "ttfb", "download", "total", "200", "HTTP/1.1",
    ] {
        assert!(stdout.contains(phase), "{phase}: {stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_options_and_request_options_are_applied() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::start(&pki, ServerOptions::default())
        .await
        .unwrap();
    let no_follow = pulsar(&["probe", "--json", "--no-follow", &server.url("/redirect/0")]).await;
    let check = &json_lines(&no_follow)[0];
    assert_eq!(check["status"], 302);
    assert_eq!(check["hops"].as_array().unwrap().len(), 1);

    let capped = pulsar(&[
        "probe",
        "--json",
        "--max-redirects",
        "1",
        &server.url("/redirect/3"),
    ])
    .await;
    assert_eq!(capped.status.code(), Some(1));
    assert_eq!(json_lines(&capped)[0]["error"]["kind"], "redirect_too_many");

    // /echo answers with the request line, headers and body: a larger answer proves that
    // the method, the header and the data reached the server.
    let echo = server.url("/echo");
    let plain = pulsar(&["probe", "--json", &echo]).await;
    let plain_bytes = json_lines(&plain)[0]["body_bytes"].as_u64().unwrap();
    let args = [
        "probe",
        "--json",
        "-X",
        "PUT",
        "-H",
        "X-Probe: yes",
        "-d",
        "payload",
        &echo,
    ];
    let output = pulsar(&args).await;
    assert_eq!(output.status.code(), Some(0));
    let sent_bytes = json_lines(&output)[0]["body_bytes"].as_u64().unwrap();
    let added = "X-Probe: yes".len() + "payload".len() + "content-length: 7".len();
    assert!(
        sent_bytes >= plain_bytes + added as u64,
        "{plain_bytes} -> {sent_bytes}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_server_option_uses_that_nameserver() {
    let pki = TestPki::new().unwrap();
    let server = TestServer::start(&pki, ServerOptions::default())
        .await
        .unwrap();
    let names = HashMap::from([(
        "cli.pulsar.test".to_owned(),
        DnsAnswer::Addrs(vec![IpAddr::from([127, 0, 0, 1])]),
    )]);
    let dns = TestDns::start(names, Duration::from_millis(30))
        .await
        .unwrap();
    let url = server.url_for_host("cli.pulsar.test", "/");
    let nameserver = dns.addr().to_string();
    let output = pulsar(&["probe", "--json", "-4", "--dns-server", &nameserver, &url]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let check = &json_lines(&output)[0];
    assert!(check["dns_ms"].as_f64().unwrap() >= 30.0, "{check}");
    assert_eq!(check["remote_addr"], server.addr().to_string());

    let missing = url.replace("cli.", "missing.");
    let output = pulsar(&["probe", "--json", "--dns-server", &nameserver, &missing]).await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json_lines(&output)[0]["error"]["kind"], "dns_no_such_name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_codes_from_the_server_reach_the_terminal_as_plain_text() {
    let pki = TestPki::new().unwrap();
    let options = ServerOptions {
        tls: Some(Leaf::HostileNames),
        ..Default::default()
    };
    let server = TestServer::start(&pki, options).await.unwrap();
    let ca = ca_file(&pki, "hostile");
    let output = pulsar(&["probe", "--ca-file", ca.to_str().unwrap(), &server.url("/")]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Every line is plain text: no ESC, BEL or CR from the certificate reach the terminal.
    let controls: Vec<char> = stdout
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(controls.is_empty(), "{controls:?} in {stdout}");
    assert!(stdout.contains("\\u{1b}]0;pwned\\u{7}evil"), "{stdout}");
    assert!(stdout.contains("\\rok"), "{stdout}");
    // The JSON contract escapes them as JSON does, and keeps the text whole.
    let output = pulsar(&[
        "probe",
        "--json",
        "--ca-file",
        ca.to_str().unwrap(),
        &server.url("/"),
    ])
    .await;
    let lines = json_lines(&output);
    let subject = lines[0]["tls"]["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains(pulsar_probe::testkit::HOSTILE_NAME),
        "{subject:?}"
    );
}
