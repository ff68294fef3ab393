//! `pulsar migrate` as a user runs it: the embedded database is created and migrated, a
//! second run changes nothing, and a bad URL is one line without its password.

use std::process::Command;

fn pulsar(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pulsar"))
        .args(args)
        .env_remove("PULSAR_DATABASE_URL")
        .env_remove("PULSAR_DATA_DIR")
        .output()
        .expect("run pulsar")
}

#[test]
fn migrate_creates_the_embedded_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    for _ in 0..2 {
        let out = pulsar(&["migrate", "--data-dir", data]);
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(stdout, format!("migrated {data}/pulsar.db\n"));
    }
}

#[test]
fn a_bad_database_url_is_one_line_without_its_password() {
    let out = pulsar(&["migrate", "--database-url", "postgres://app:hunter2@[::1"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("pulsar: cannot migrate"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
