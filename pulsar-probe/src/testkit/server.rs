//! An HTTP/1.1 and HTTP/2 server on 127.0.0.1 (plain or TLS) that can hold each phase back by
//! a known delay.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::channel::{Channel, Sender};
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::AbortOnDrop;
use super::pki::Leaf;
use super::pki::{Identity, TestPki};

/// Delays injected into each phase the server controls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delays {
    /// After the ClientHello arrived, before the server answers it.
    pub tls: Duration,
    /// After the request head arrived, before the response head is sent.
    pub ttfb: Duration,
    /// Between the two body chunks of `/` (the first leaves with the head).
    pub between_chunks: Duration,
}

/// How a [`TestServer`] behaves.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// `None`: plain HTTP/1.1. `Some(leaf)`: TLS presenting that certificate.
    pub tls: Option<Leaf>,
    /// With TLS, offer `h2` in ALPN (HTTP/2) besides `http/1.1`.
    pub http2: bool,
    pub delays: Delays,
}

type Body = Either<Full<Bytes>, Channel<Bytes>>;

/// The body of `/`, in two chunks.
pub const ROOT_BODY: [&str; 2] = ["pulsar test server: ", "ok\n"];

/// A running server; dropping it stops it and every connection it holds.
///
/// Routes: `/` (200, two chunks), `/bytes/N` (N bytes), `/endless` (a body that never
/// ends), `/status/N`, `/redirect/N` (N hops of 302, then `/`), `/loop` (302 to itself),
/// `/retry-after/N` (429 asking to wait N seconds), `/to?URL` (302 to URL), `/echo` (the request's method, headers and body as text).
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    scheme: &'static str,
    connections: Arc<AtomicUsize>,
    _accept: AbortOnDrop,
}

impl TestServer {
    pub async fn start(pki: &TestPki, options: ServerOptions) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let tls = options
            .tls
            .map(|leaf| acceptor(&pki.identity(leaf), options.http2))
            .transpose()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let delays = options.delays;
        let accept = tokio::spawn(async move {
            let mut tasks = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                tasks.spawn(serve(stream, tls.clone(), delays));
                while tasks.try_join_next().is_some() {}
            }
        });
        Ok(Self {
            addr,
            scheme,
            connections,
            _accept: AbortOnDrop(accept),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `scheme://127.0.0.1:port` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.addr, path)
    }

    /// The same URL with another host name (resolved by a test DNS responder).
    pub fn url_for_host(&self, host: &str, path: &str) -> String {
        format!("{}://{}:{}{}", self.scheme, host, self.addr.port(), path)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

fn acceptor(identity: &Identity, http2: bool) -> std::io::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(identity.chain.clone(), identity.key_der())
        })
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(TlsAcceptor::from(Arc::new(config)))
}

async fn serve(stream: TcpStream, tls: Option<TlsAcceptor>, delays: Delays) {
    let service = service_fn(move |request| respond(request, delays));
    let Some(acceptor) = tls else {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await;
        return;
    };
    // Wait for the ClientHello, so the delay starts after the client's TLS phase did.
    let mut first = [0u8; 1];
    if !matches!(stream.peek(&mut first).await, Ok(1..)) {
        return;
    }
    super::precise_sleep(delays.tls).await;
    let Ok(stream) = acceptor.accept(stream).await else {
        return;
    };
    let http2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(stream);
    if http2 {
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await;
    } else {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .await;
    }
}

async fn respond(request: Request<Incoming>, delays: Delays) -> Result<Response<Body>, Infallible> {
    super::precise_sleep(delays.ttfb).await;
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let response = match segments.as_slice() {
        [""] => streamed(move |mut tx| async move {
            tx.send_data(Bytes::from_static(ROOT_BODY[0].as_bytes()))
                .await
                .ok()?;
            super::precise_sleep(delays.between_chunks).await;
            tx.send_data(Bytes::from_static(ROOT_BODY[1].as_bytes()))
                .await
                .ok()
        }),
        ["bytes", n] => {
            let total: usize = n.parse().unwrap_or(0);
            streamed(move |mut tx| async move {
                let chunk = Bytes::from(vec![b'x'; 16 * 1024]);
                let mut left = total;
                while left > 0 {
                    let len = left.min(chunk.len());
                    tx.send_data(chunk.slice(..len)).await.ok()?;
                    left -= len;
                }
                Some(())
            })
        }
        ["endless"] => streamed(|mut tx| async move {
            let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
            loop {
                tx.send_data(chunk.clone()).await.ok()?;
            }
        }),
        ["status", code] => {
            let status = code.parse().ok().and_then(|c| StatusCode::from_u16(c).ok());
            text(status.unwrap_or(StatusCode::BAD_REQUEST), "status\n")
        }
        ["redirect", n] => match n.parse::<u32>() {
            Ok(0) | Err(_) => redirect("/"),
            Ok(n) => redirect(&format!("/redirect/{}", n - 1)),
        },
        ["loop"] => redirect("/loop"),
        ["retry-after", seconds] => {
            let mut response = text(StatusCode::TOO_MANY_REQUESTS, "slow down\n");
            if let Ok(value) = seconds.parse() {
                response
                    .headers_mut()
                    .insert(hyper::header::RETRY_AFTER, value);
            }
            response
        }
        ["to"] => redirect(request.uri().query().unwrap_or("/")),
        ["echo"] => {
            let mut text_out = format!("{} {}\n", request.method(), request.uri());
            for (name, value) in request.headers() {
                text_out.push_str(&format!("{name}: {}\n", value.to_str().unwrap_or("?")));
            }
            text_out.push('\n');
            let body = http_body_util::BodyExt::collect(request.into_body())
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            text_out.push_str(&String::from_utf8_lossy(&body));
            text(StatusCode::OK, text_out)
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}

fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Either::Left(Full::new(body.into())));
    *response.status_mut() = status;
    response
}

fn redirect(location: &str) -> Response<Body> {
    let mut response = text(StatusCode::FOUND, "moved\n");
    if let Ok(value) = location.parse() {
        response
            .headers_mut()
            .insert(hyper::header::LOCATION, value);
    }
    response
}

/// A body produced chunk by chunk by `produce`, which stops when the client goes away.
fn streamed<F, Fut>(produce: F) -> Response<Body>
where
    F: FnOnce(Sender<Bytes>) -> Fut,
    Fut: Future<Output = Option<()>> + Send + 'static,
{
    let (tx, body) = Channel::new(2);
    tokio::spawn(produce(tx));
    Response::new(Either::Right(body))
}
