//! One HTTP exchange over a connection the check opened itself: request out, response head
//! in, body counted.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, HOST, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, Request, Response, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pulsar_core::{BodyMatcher, Failure, FailureKind, Header};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use url::Url;

use crate::io::{Conn, FirstByte};

/// What a request carries, independent of the hop it is sent on.
#[derive(Debug, Clone)]
pub(crate) struct RequestParts {
    pub(crate) method: Method,
    pub(crate) headers: Vec<Header>,
    pub(crate) body: Bytes,
}

/// A response head and the means to read its body. Dropping it closes the connection.
pub(crate) struct Exchange {
    pub(crate) response: Response<Incoming>,
    /// When the first byte of the response head arrived (see [`FirstByte`]).
    pub(crate) first_byte_at: Instant,
    _connection: AbortOnDrop,
}

/// A background task that ends with its owner: the connection task of a hop lives no longer
/// than the hop (a check never outlives its timeout, not even in the background), and a test
/// server no longer than its handle.
#[derive(Debug)]
pub(crate) struct AbortOnDrop(pub(crate) JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) fn version_name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// Builds the request for `url`: origin-form with a Host header for HTTP/1.1, absolute form
/// for HTTP/2 (hyper turns it into :scheme and :authority).
pub(crate) fn build_request(
    url: &Url,
    parts: &RequestParts,
    user_agent: &str,
    http2: bool,
) -> Result<Request<Full<Bytes>>, Failure> {
    let invalid = |what: String| Failure::new(FailureKind::InvalidRequest, what);
    let uri: Uri = if http2 {
        url.as_str().parse()
    } else {
        let path = &url[url::Position::BeforePath..url::Position::AfterQuery];
        path.parse()
    }
    .map_err(|e| invalid(format!("cannot send {url}: {e}")))?;
    let mut headers = HeaderMap::new();
    for header in &parts.headers {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| invalid(format!("invalid header name {:?}", header.name)))?;
        let value = HeaderValue::from_str(&header.value)
            .map_err(|_| invalid(format!("invalid value for header {}", header.name)))?;
        headers.append(name, value);
    }
    if !headers.contains_key(USER_AGENT)
        && let Ok(value) = HeaderValue::from_str(user_agent)
    {
        headers.insert(USER_AGENT, value);
    }
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    if !http2 && !headers.contains_key(HOST) {
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let value =
            HeaderValue::from_str(host).map_err(|_| invalid(format!("invalid host {host}")))?;
        headers.insert(HOST, value);
    }
    let mut request = Request::new(Full::new(parts.body.clone()));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = if http2 {
        Version::HTTP_2
    } else {
        Version::HTTP_11
    };
    *request.headers_mut() = headers;
    Ok(request)
}

/// Sends the request and waits for the response head. The caller bounds it with the
/// check's deadline.
pub(crate) async fn send(
    conn: Conn,
    first_byte: Arc<FirstByte>,
    http2: bool,
    request: Request<Full<Bytes>>,
) -> Result<Exchange, Failure> {
    let io = TokioIo::new(conn);
    first_byte.arm();
    let (response, connection) = if http2 {
        let mut builder = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
        builder.adaptive_window(true);
        let (mut sender, connection) = builder.handshake(io).await.map_err(protocol)?;
        let connection = AbortOnDrop(tokio::spawn(async move {
            let _ = connection.await;
        }));
        (sender.send_request(request).await, connection)
    } else {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(protocol)?;
        let connection = AbortOnDrop(tokio::spawn(async move {
            let _ = connection.await;
        }));
        (sender.send_request(request).await, connection)
    };
    let response = response.map_err(protocol)?;
    let head_at = Instant::now();
    let first_byte_at = first_byte.at().map_or(head_at, |at| at.min(head_at));
    Ok(Exchange {
        response,
        first_byte_at,
        _connection: connection,
    })
}

fn protocol(e: hyper::Error) -> Failure {
    let message = if e.is_parse() || e.is_parse_status() {
        format!("malformed response: {e}")
    } else if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        "the server closed the connection before a response head".to_owned()
    } else {
        format!("HTTP exchange failed: {}", error_chain(&e))
    };
    Failure::new(FailureKind::HttpProtocol, message)
}

/// Reads the body to its end, counting bytes into `counted` (kept up to date so a timeout
/// still reports what arrived), feeding `matcher` and keeping the first
/// [`ANSWER_EXCERPT_BYTES`](crate::ANSWER_EXCERPT_BYTES) in `excerpt`. Stops at
/// `limit_bytes`.
pub(crate) async fn drain(
    body: &mut Incoming,
    limit_bytes: u64,
    mut matcher: Option<&mut BodyMatcher>,
    mut excerpt: Option<&mut Vec<u8>>,
    counted: &mut u64,
) -> Result<(), Failure> {
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| body_failure(&e, *counted))?;
        let Some(data) = frame.data_ref() else {
            continue;
        };
        *counted += data.len() as u64;
        if *counted > limit_bytes {
            return Err(Failure::new(
                FailureKind::BodyTooLarge,
                format!("the body exceeds the {limit_bytes} byte limit"),
            ));
        }
        if let Some(m) = matcher.as_deref_mut() {
            m.feed(data);
        }
        if let Some(kept) = excerpt.as_deref_mut() {
            let room = crate::ANSWER_EXCERPT_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&data[..room.min(data.len())]);
        }
    }
    Ok(())
}

/// A body that could not be read to its end: malformed framing (a chunk-size line that is
/// not a number, …) is the server breaking the protocol; anything else is the body breaking
/// off (a reset, an early close).
fn body_failure(e: &hyper::Error, counted: u64) -> Failure {
    let malformed = e.is_parse() || {
        let mut source = std::error::Error::source(e);
        let mut invalid = false;
        while let Some(inner) = source {
            // hyper reports bad framing (a chunk-size line, a chunk's end) as invalid input.
            invalid |= inner.downcast_ref::<std::io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData
                )
            });
            source = inner.source();
        }
        invalid
    };
    if malformed {
        let message = format!("malformed body after {counted} bytes: {}", error_chain(e));
        Failure::new(FailureKind::HttpProtocol, message)
    } else {
        let message = format!(
            "the body broke off after {counted} bytes: {}",
            error_chain(e)
        );
        Failure::new(FailureKind::BodyReset, message)
    }
}

/// "outer: inner: innermost", the way a user wants to read a nested error on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = inner.source();
    }
    out
}
