//! Helpers the server's end-to-end tests share: a Connect JSON call over plain HTTP/1.1,
//! polling until something holds, and the service-reachability rule (skip locally, fail
//! in CI).
#![allow(dead_code, unreachable_pub)]

pub mod receiver;

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One Connect JSON call over a fresh HTTP/1.1 connection: the status and the JSON answer.
pub async fn rpc(addr: SocketAddr, service: &str, method: &str, body: Value) -> (u16, Value) {
    let body = body.to_string();
    let request = format!(
        "POST /pulsar.v1.{service}/{method} HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let status = text[9..12].parse().unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// Polls `probe` every 100 ms for up to `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {seconds} s waiting for {what}");
}

/// Whether a test that needs `service` at `url` runs: `false` (after saying why) when it is
/// unreachable outside CI; in CI an unreachable service fails the test.
pub fn service_reachable(service: &str, url: &str, reached: Result<(), String>) -> bool {
    match reached {
        Ok(()) => true,
        Err(error) if std::env::var("CI").as_deref() != Ok("true") => {
            println!("skipped: {service} at {url} is unreachable: {error}");
            false
        }
        Err(error) => panic!("{service} at {url} is unreachable in CI: {error}"),
    }
}
