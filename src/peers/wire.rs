//! What goes on the wire beyond a plain response: a body that can stop half-way (the
//! truncated-body fault) and a connection that can end with a reset instead of a close.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long a truncated body pauses after its part, so the headers and the part are flushed
/// before the connection drops.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

/// A response body: the whole bytes, or a part of them followed by an error, which makes
/// hyper drop the connection after promising the full length.
#[derive(Debug)]
pub(crate) enum PeerBody {
    Full(Option<Bytes>),
    Truncated {
        part: Option<Bytes>,
        length: u64,
        pause: Pin<Box<tokio::time::Sleep>>,
    },
}

impl PeerBody {
    pub(crate) fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        PeerBody::Full((!bytes.is_empty()).then_some(bytes))
    }

    /// The first half of `bytes`, then a broken connection; at least one byte is promised.
    pub(crate) fn truncated(bytes: &Bytes) -> Self {
        let length = bytes.len().max(1) as u64;
        let part = bytes.slice(..bytes.len() / 2);
        PeerBody::Truncated {
            part: (!part.is_empty()).then_some(part),
            length,
            pause: Box::pin(tokio::time::sleep(TRUNCATE_PAUSE)),
        }
    }

    /// The bytes a full body holds (empty for a truncated one).
    pub(crate) fn bytes(&self) -> Bytes {
        match self {
            PeerBody::Full(Some(bytes)) => bytes.clone(),
            _ => Bytes::new(),
        }
    }
}

impl Body for PeerBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            PeerBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            PeerBody::Truncated { part, pause, .. } => {
                if let Some(part) = part.take() {
                    return Poll::Ready(Some(Ok(Frame::data(part))));
                }
                // Pending lets hyper flush what it has before the error ends the connection.
                std::task::ready!(pause.as_mut().poll(cx));
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "body truncated by an injected fault",
                ))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, PeerBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            PeerBody::Full(Some(bytes)) => SizeHint::with_exact(bytes.len() as u64),
            PeerBody::Full(None) => SizeHint::with_exact(0),
            PeerBody::Truncated { length, .. } => SizeHint::with_exact(*length),
        }
    }
}

/// A served connection. When [`Connection::reset_flag`] is set, dropping it sends a TCP
/// reset (linger 0) instead of an orderly close.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Connection {
    pub(crate) fn new(stream: TcpStream) -> Self {
        Connection {
            stream,
            reset: Arc::new(AtomicBool::new(false)),
        }
    }

    pub(crate) fn reset_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.reset)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.reset.load(Ordering::Relaxed) {
            let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.reset.load(Ordering::Relaxed) {
            // A reset must not be preceded by an orderly FIN.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}
