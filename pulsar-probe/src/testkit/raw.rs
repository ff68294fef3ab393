//! Servers that break the rules on purpose, on 127.0.0.1: each failure kind a probe must
//! classify needs a peer that produces it.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::AbortOnDrop;

/// What a [`RawServer`] does with each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Accepts and never sends a byte, holding the connection open.
    Silent,
    /// Answers the request with bytes that are not HTTP, then closes.
    Garbage,
    /// Sends a head announcing 100 000 bytes, 1 000 of them, then resets the connection.
    ResetMidBody,
    /// Sends a head announcing 100 000 bytes, 1 000 of them, then nothing, holding on.
    StallMidBody,
    /// Sends a chunked body whose second chunk-size line is not hexadecimal, then closes.
    BadChunkSize,
    /// Answers with `100 Continue` heads, as fast as the client reads them, and never with
    /// a final response.
    EndlessContinue,
}

const HEAD_100K: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n";

/// A misbehaving TCP server; dropping it closes every connection it holds.
#[derive(Debug)]
pub struct RawServer {
    addr: SocketAddr,
    _accept: AbortOnDrop,
}

impl RawServer {
    pub async fn start(behaviour: Misbehaviour) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let accept = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                if let Some(stream) = misbehave(stream, behaviour).await {
                    held.push(stream);
                }
            }
        });
        Ok(Self {
            addr,
            _accept: AbortOnDrop(accept),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// Does the misbehaviour; returns the stream when it must stay open.
async fn misbehave(mut stream: TcpStream, behaviour: Misbehaviour) -> Option<TcpStream> {
    if behaviour == Misbehaviour::Silent {
        return Some(stream);
    }
    let mut request = [0u8; 4096];
    let _ = stream.read(&mut request).await;
    match behaviour {
        Misbehaviour::Silent => Some(stream),
        Misbehaviour::Garbage => {
            let _ = stream.write_all(b"SSH-2.0-not-http\r\n\r\n").await;
            None
        }
        Misbehaviour::BadChunkSize => {
            let response = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
                             5\r\nhello\r\nzz-not-a-size\r\nmore\r\n0\r\n\r\n";
            let _ = stream.write_all(response).await;
            let _ = stream.flush().await;
            None
        }
        Misbehaviour::EndlessContinue => {
            let heads = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(16384);
            while stream.write_all(&heads).await.is_ok() {}
            None
        }
        Misbehaviour::ResetMidBody | Misbehaviour::StallMidBody => {
            let _ = stream.write_all(HEAD_100K).await;
            let _ = stream.write_all(&[b'x'; 1000]).await;
            let _ = stream.flush().await;
            if behaviour == Misbehaviour::StallMidBody {
                return Some(stream);
            }
            // Let the bytes leave before the reset, so the client sees a body break off.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = stream.set_zero_linger();
            None
        }
    }
}

/// A listener whose accept queue is full, so a new connection is never established: the
/// kernel drops its SYN and the connect hangs until the caller's timeout. Stays on loopback.
#[derive(Debug)]
pub struct FullBacklog {
    addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _fillers: Vec<TcpStream>,
}

impl FullBacklog {
    /// Fills the queue; `None` when this kernel completes connections beyond the backlog
    /// (some user-space network stacks do), so a connect timeout cannot be staged here.
    pub async fn start() -> std::io::Result<Option<Self>> {
        let socket = TcpSocket::new_v4()?;
        socket.bind("127.0.0.1:0".parse().map_err(std::io::Error::other)?)?;
        let listener = socket.listen(0)?;
        let addr = listener.local_addr()?;
        let mut fillers = Vec::new();
        for _ in 0..16 {
            let attempt =
                tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr));
            match attempt.await {
                Ok(Ok(stream)) => fillers.push(stream),
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Ok(Some(Self {
                        addr,
                        _listener: listener,
                        _fillers: fillers,
                    }));
                }
            }
        }
        Ok(None)
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}
