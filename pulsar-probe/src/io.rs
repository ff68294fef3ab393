//! The connection a hop runs on: plain TCP or TLS, with a recorder for the instant the first
//! response byte arrives.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;

use tokio_rustls::client::TlsStream;

/// Records when the first byte of the response head arrived: hyper hands over the head only
/// once all of it is parsed (and, for HTTP/2, after a hop through its connection task), but
/// time to first byte ends at its first byte. It sits above TLS so that TLS records that
/// carry no application data (session tickets) do not count.
///
/// HTTP/1.1: the first read that returns data after [`FirstByte::arm`]. HTTP/2: the read
/// that completes the header of the first HEADERS frame, since SETTINGS, PING and
/// WINDOW_UPDATE frames arrive on the same connection before and around it.
#[derive(Debug, Default)]
pub(crate) struct FirstByte {
    armed: AtomicBool,
    at: OnceLock<Instant>,
}

impl FirstByte {
    pub(crate) fn arm(&self) {
        self.armed.store(true, Ordering::Release);
    }

    pub(crate) fn at(&self) -> Option<Instant> {
        self.at.get().copied()
    }

    fn saw_data(&self) {
        if self.armed.load(Ordering::Acquire) && self.at.get().is_none() {
            let _ = self.at.set(Instant::now());
        }
    }
}

/// The most one read hands to hyper: one TLS record's worth, so a flood of small messages
/// is parsed in slices and the deadline is looked at between them.
const MAX_READ_BYTES: usize = 16 * 1024;

pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsTcp>),
}

/// A TLS stream of a hop.
pub(crate) type TlsTcp = TlsStream<RecordingTcp>;

/// A TCP stream that keeps the first bytes the server sent, so a TLS handshake that fails on
/// them can tell what answered instead (a plain HTTP server, say).
pub(crate) struct RecordingTcp {
    tcp: TcpStream,
    first: [u8; 8],
    first_len: usize,
}

impl RecordingTcp {
    pub(crate) fn new(tcp: TcpStream) -> Self {
        Self {
            tcp,
            first: [0; 8],
            first_len: 0,
        }
    }

    pub(crate) fn first_bytes(&self) -> &[u8] {
        &self.first[..self.first_len]
    }
}

impl AsyncRead for RecordingTcp {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        let room = this.first.len() - this.first_len;
        if room > 0 {
            let new = &buf.filled()[before..];
            let n = new.len().min(room);
            this.first[this.first_len..this.first_len + n].copy_from_slice(&new[..n]);
            this.first_len += n;
        }
        polled
    }
}

impl AsyncWrite for RecordingTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// A hop's byte stream, handed to hyper.
pub(crate) struct Conn {
    transport: Transport,
    first_byte: Arc<FirstByte>,
    /// Set for HTTP/2: where the incoming bytes stand in the frame sequence.
    frames: Option<H2Frames>,
    /// The check's deadline, enforced on every read (see [`Conn::poll_read`]).
    deadline: Instant,
}

impl Conn {
    pub(crate) fn new(
        transport: Transport,
        first_byte: Arc<FirstByte>,
        http2: bool,
        deadline: Instant,
    ) -> Self {
        Self {
            transport,
            first_byte,
            frames: http2.then(H2Frames::default),
            deadline,
        }
    }
}

/// Follows HTTP/2 frame boundaries (9-byte header: 24-bit length, type, flags, stream id)
/// just far enough to spot the first HEADERS frame of a stream.
#[derive(Debug, Default)]
struct H2Frames {
    header: [u8; 9],
    header_len: usize,
    payload_left: usize,
    found: bool,
}

const H2_HEADERS: u8 = 0x1;

impl H2Frames {
    /// Consumes `bytes`; true once a HEADERS frame header for a stream has been seen.
    fn feed(&mut self, mut bytes: &[u8]) -> bool {
        while !self.found && !bytes.is_empty() {
            if self.payload_left > 0 {
                let n = self.payload_left.min(bytes.len());
                self.payload_left -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (9 - self.header_len).min(bytes.len());
            self.header[self.header_len..self.header_len + n].copy_from_slice(&bytes[..n]);
            self.header_len += n;
            bytes = &bytes[n..];
            if self.header_len == 9 {
                self.header_len = 0;
                let h = self.header;
                let stream = u32::from_be_bytes([h[5] & 0x7f, h[6], h[7], h[8]]);
                self.found = h[3] == H2_HEADERS && stream != 0;
                self.payload_left =
                    usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]);
            }
        }
        self.found
    }
}

impl AsyncRead for Conn {
    /// Past the deadline a read fails, and no read returns more than [`MAX_READ_BYTES`]. A
    /// server that never stops sending (endless `100 Continue` heads, each parsed and dropped
    /// by hyper's connection task) keeps that task busy, and a busy runtime fires timers
    /// late; hyper parses all a read returned before it reads again. With a timeout alone
    /// such checks ended up to 200 ms past their deadline.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the check's deadline passed",
            )));
        }
        let room = buf.initialize_unfilled_to(buf.remaining().min(MAX_READ_BYTES));
        let mut limited = ReadBuf::new(room);
        let polled = match &mut this.transport {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, &mut limited),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, &mut limited),
        };
        let read = limited.filled().len();
        if matches!(polled, Poll::Ready(Ok(()))) && read > 0 {
            let data = &limited.filled()[..read];
            match &mut this.frames {
                None => this.first_byte.saw_data(),
                Some(frames) if !frames.found => {
                    if frames.feed(data) {
                        this.first_byte.saw_data();
                    }
                }
                Some(_) => {}
            }
        }
        buf.advance(read);
        polled
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.transport {
            Transport::Plain(s) => s.is_write_vectored(),
            Transport::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, 0];
        out.extend_from_slice(&stream.to_be_bytes());
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn h2_headers_frame_is_found_behind_settings_in_any_split() {
        let settings = frame(0x4, 0, &[0; 18]);
        let ack = frame(0x4, 0, &[]);
        let window = frame(0x8, 0, &[0, 0, 1, 0]);
        let headers = frame(H2_HEADERS, 1, &[0x88]);
        let stream: Vec<u8> = [settings, ack, window.clone()].concat();
        for split in 0..stream.len() {
            let mut frames = H2Frames::default();
            assert!(!frames.feed(&stream[..split]));
            assert!(!frames.feed(&stream[split..]), "split {split}");
            assert!(frames.feed(&headers[..1]) || frames.feed(&headers[1..]));
        }
        let mut frames = H2Frames::default();
        assert!(frames.feed(&[window, headers].concat()));
    }
}
