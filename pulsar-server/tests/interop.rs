//! The official TypeScript client against `pulsar serve`: tests/interop/ generates the client
//! from pulsar-core/proto (protoc-gen-es) and calls every RPC of every service through
//! connect-node, once in JSON and once in binary, error cases included.
//!
//! It needs Node and npm. Without them the test is skipped, except in CI (`CI=true`), where a
//! missing toolchain must not pass for a green run.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What the last successful `npm ci` installed: a copy of package-lock.json, kept inside
/// node_modules so that `npm ci` (which empties it) also clears the stamp.
const INSTALLED_LOCK: &str = "node_modules/.pulsar-installed-lock.json";

#[test]
fn the_typescript_client_calls_every_service_in_json_and_binary() {
    let started = Instant::now();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    if let Some(missing) = ["node", "npm"].into_iter().find(|tool| !runs(tool)) {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "`{missing}` is not installed; CI must run the interop test"
        );
        eprintln!("skipped: `{missing}` is not installed (Node 20+ and npm run this test)");
        return;
    }
    install(&dir);
    // Generated on every run into an ignored directory, so it is always the schema's.
    checked(
        Command::new("npm")
            .args(["run", "--silent", "generate"])
            .current_dir(&dir),
        "npm run generate",
    );
    println!("client installed and generated in {:?}", started.elapsed());

    let data = tempfile::tempdir().unwrap();
    let server = Server::start(data.path());
    for format in ["json", "binary"] {
        let run = Instant::now();
        let output = Command::new("node")
            .arg("interop.js")
            .args(["--base-url", &server.url, "--format", format])
            .args(["--version", env!("CARGO_PKG_VERSION")])
            .current_dir(&dir)
            .output()
            .expect("run node");
        let stdout = String::from_utf8_lossy(&output.stdout);
        print!("{stdout}");
        assert!(
            output.status.success(),
            "the {format} run failed ({}):\n{stdout}\n{}\n--- pulsar serve's log ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            server.log(),
        );
        println!("{format} run passed in {:?}", run.elapsed());
    }
    println!("interop test took {:?}", started.elapsed());
}

/// Whether `tool --version` runs.
fn runs(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// `npm ci`, unless node_modules already holds what package-lock.json pins.
fn install(dir: &Path) {
    let lock = std::fs::read(dir.join("package-lock.json")).expect("read package-lock.json");
    let stamp = dir.join(INSTALLED_LOCK);
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock) {
        return;
    }
    // Install scripts are not needed (buf's only makes its launcher a little faster), so
    // none run.
    checked(
        Command::new("npm")
            .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
            .current_dir(dir),
        "npm ci",
    );
    std::fs::write(&stamp, lock).expect("write the install stamp");
}

/// Runs `command` to its end and fails the test, with its output, unless it succeeds.
fn checked(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// `pulsar serve` on a free port of 127.0.0.1, sampling its host every second; stopped when
/// dropped, so a failed assertion leaves no server behind.
struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(data_dir: &Path) -> Self {
        // A port the system just handed out and took back: free unless another process grabs
        // it in the next moment. Readiness is then seen on the wire, not read from log text.
        let address = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let mut command = Command::new(env!("CARGO_BIN_EXE_pulsar"));
        command
            .args(["serve", "--listen", &address.to_string(), "--data-dir"])
            .arg(data_dir)
            .args(["--host-interval", "1s"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Only the flags above decide how it runs, whatever the caller's environment holds.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("PULSAR_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        let mut child = command.spawn().expect("start pulsar serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&log);
        // Kept for a failure's message; an unread pipe would also stall the server once full.
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        let mut server = Self {
            child,
            url: format!("http://{address}"),
            log,
        };
        server.wait_until_up(address);
        server
    }

    /// Waits (up to 20 s) until `/healthz` answers over HTTP.
    fn wait_until_up(&mut self, address: SocketAddr) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("pulsar serve exited ({status}):\n{}", self.log());
            }
            if answers_http(address) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pulsar serve did not answer within 20 s:\n{}",
                self.log()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `GET /healthz` at `address` gets an HTTP answer.
fn answers_http(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut answer = Vec::new();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: pulsar\r\nConnection: close\r\n\r\n")
        .and_then(|()| stream.read_to_end(&mut answer))
        .is_ok_and(|_| answer.starts_with(b"HTTP/1.1 "))
}
