//! Loopback receivers for notifications: an HTTP endpoint that records every request and
//! answers from a script, and an SMTP sink that speaks enough of the protocol for a real
//! client to deliver to it.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// An answer from the script: a status and, optionally, a `Retry-After`.
pub type Answer = (u16, Option<&'static str>);

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Answer>>,
}

/// An HTTP receiver on 127.0.0.1: every request is recorded and answered by the next
/// scripted answer, or `200 ok` once the script is spent. Stops when dropped.
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    pub fn on(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let state = Arc::clone(&shared);
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = Arc::clone(&state);
            async move { answer(&state, uri, headers, body) }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next requests with these, in order.
    pub fn script(&self, answers: &[Answer]) {
        self.shared
            .script
            .lock()
            .unwrap()
            .extend(answers.iter().copied());
    }

    /// Every request so far to `path`.
    pub fn received(&self, path: &str) -> Vec<Received> {
        let requests = self.shared.requests.lock().unwrap();
        requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn answer(shared: &Shared, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let headers = headers
        .iter()
        .map(|(name, value)| {
            let value = value.to_str().unwrap_or_default().to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    shared.requests.lock().unwrap().push(Received {
        at: Instant::now(),
        path: uri.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let (status, retry_after) = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or((200, None));
    let status = StatusCode::from_u16(status).unwrap();
    match retry_after {
        Some(after) => (status, [("retry-after", after)], "wait").into_response(),
        None => (status, "ok").into_response(),
    }
}

/// One message an SMTP client handed over.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA: headers, a blank line, the body.
    pub data: String,
}

/// How an [`SmtpSink`] protects its sessions.
#[derive(Clone)]
pub enum SinkTls {
    None,
    /// Plain until the client asks for STARTTLS, which is offered and then required.
    StartTls(TlsAcceptor),
    /// TLS from the first byte.
    Implicit(TlsAcceptor),
}

/// A TLS acceptor presenting `identity` (a certificate the test PKI signed).
pub fn acceptor(identity: &pulsar_probe::testkit::Identity) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key_der())
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

/// An SMTP sink on 127.0.0.1 (no auth): it accepts every message and keeps it, with the
/// TLS it was started with.
pub struct SmtpSink {
    pub addr: SocketAddr,
    mail: Arc<Mutex<Vec<Mail>>>,
    task: JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_with(SinkTls::None).await
    }

    pub async fn start_with(tls: SinkTls) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mail = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&mail);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = Arc::clone(&kept);
                let tls = tls.clone();
                tokio::spawn(async move {
                    let _ = connection(stream, tls, kept).await;
                });
            }
        });
        Self { addr, mail, task }
    }

    pub fn mail(&self) -> Vec<Mail> {
        self.mail.lock().unwrap().clone()
    }
}

const GREETING: &[u8] = b"220 sink.test ESMTP ready\r\n";

async fn connection(
    mut stream: TcpStream,
    tls: SinkTls,
    kept: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    match tls {
        SinkTls::None => session(stream, true, kept).await,
        SinkTls::Implicit(acceptor) => session(acceptor.accept(stream).await?, true, kept).await,
        SinkTls::StartTls(acceptor) => {
            stream.write_all(GREETING).await?;
            // Nothing but EHLO and STARTTLS before the handshake; the client speaks again
            // only after each answer, so no line is left buffered when TLS starts.
            let mut reader = BufReader::new(stream);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let upper = line.trim_end().to_ascii_uppercase();
                let reply: &[u8] = if upper.starts_with("EHLO") {
                    b"250-sink.test\r\n250 STARTTLS\r\n"
                } else if upper == "STARTTLS" {
                    reader.get_mut().write_all(b"220 go ahead\r\n").await?;
                    break;
                } else {
                    b"530 must issue a STARTTLS command first\r\n"
                };
                reader.get_mut().write_all(reply).await?;
            }
            let stream = acceptor.accept(reader.into_inner()).await?;
            session(stream, false, kept).await
        }
    }
}

async fn session(
    stream: impl AsyncRead + AsyncWrite + Unpin,
    greet: bool,
    kept: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = tokio::io::split(stream);
    let mut lines = BufReader::new(read).lines();
    if greet {
        write.write_all(GREETING).await?;
    }
    let mut mail = Mail::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO")
            || upper.starts_with("RSET")
            || upper.starts_with("NOOP")
        {
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail = Mail::default();
            mail.from = address(&line);
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(address(&line));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            while let Some(data) = lines.next_line().await? {
                if data == "." {
                    break;
                }
                mail.data.push_str(data.strip_prefix('.').unwrap_or(&data));
                mail.data.push('\n');
            }
            kept.lock().unwrap().push(std::mem::take(&mut mail));
            b"250 2.0.0 queued as sink-1\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line.rfind('>').unwrap_or(line.len());
    line[start..end].to_owned()
}
