//! A streamed upload is never held whole by the client: the file's reader
//! may only run a bounded distance ahead of what the server has received.
//! A client that buffered the body before sending would deadlock here (the
//! server receives nothing until the reader is done), so the test would
//! fail instead of passing slowly.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use pixmize_imagekit::{FileSource, ImageKit, UploadRequest};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpListener;

/// What the server has received, and the reader waiting for more.
#[derive(Default)]
struct Gate {
    received: AtomicU64,
    waiting: Mutex<Option<Waker>>,
}

impl Gate {
    fn set(&self, n: u64) {
        self.received.store(n, Ordering::SeqCst);
        if let Some(w) = self.waiting.lock().unwrap().take() {
            w.wake();
        }
    }
}

/// 48 MiB, generated on the fly.
const TOTAL: u64 = 48 << 20;
/// How far the reader may run ahead of the server: socket buffers on both
/// sides plus the client's own buffering must fit in this, a third of the
/// file.
const WINDOW: u64 = 16 << 20;
const CHUNK: usize = 64 << 10;

/// Produces `TOTAL` bytes, but only while it is less than `WINDOW` ahead of
/// what the server has received; counts its reads.
struct GatedReader {
    produced: u64,
    gate: Arc<Gate>,
    reads: Arc<AtomicUsize>,
    max_ahead: Arc<AtomicU64>,
}

impl AsyncRead for GatedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.produced >= TOTAL {
            return Poll::Ready(Ok(()));
        }
        if this.produced >= this.gate.received.load(Ordering::SeqCst) + WINDOW {
            *this.gate.waiting.lock().unwrap() = Some(cx.waker().clone());
            // Checked again after registering, so that no wake-up is lost.
            if this.produced >= this.gate.received.load(Ordering::SeqCst) + WINDOW {
                return Poll::Pending;
            }
        }
        let n = (TOTAL - this.produced).min(CHUNK as u64).min(buf.remaining() as u64) as usize;
        let start = this.produced;
        let bytes: Vec<u8> = (0..n as u64).map(|i| ((start + i) % 251) as u8).collect();
        buf.put_slice(&bytes);
        this.produced += n as u64;
        this.reads.fetch_add(1, Ordering::SeqCst);
        let ahead = this.produced.saturating_sub(this.gate.received.load(Ordering::SeqCst));
        this.max_ahead.fetch_max(ahead, Ordering::SeqCst);
        Poll::Ready(Ok(()))
    }
}

/// A one-request HTTP server that counts body bytes as they arrive, checks
/// them against the generator, and answers like ImageKit's upload API.
async fn server(listener: TcpListener, gate: Arc<Gate>) -> (u64, bool) {
    let (mut sock, _) = listener.accept().await.unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut head = Vec::new();
    let body_start = loop {
        let n = sock.read(&mut buf).await.unwrap();
        assert!(n > 0, "the client closed before the headers ended");
        head.extend_from_slice(&buf[..n]);
        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let headers = String::from_utf8_lossy(&head[..body_start]).to_ascii_lowercase();
    let len: u64 = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .expect("a streamed file of known length gives a Content-Length")
        .trim()
        .parse()
        .unwrap();
    let mut body_seen = (head.len() - body_start) as u64;
    // The file's bytes sit between the multipart headers and the closing
    // boundary; check the start of the file pattern appears.
    let mut sample = head[body_start..].to_vec();
    gate.set(body_seen);
    while body_seen < len {
        let n = sock.read(&mut buf).await.unwrap();
        assert!(n > 0, "the client closed early");
        if sample.len() < 4096 {
            sample.extend_from_slice(&buf[..n.min(4096)]);
        }
        body_seen += n as u64;
        gate.set(body_seen);
    }
    let pattern: Vec<u8> = (0..64u64).map(|i| (i % 251) as u8).collect();
    let file_found = sample.windows(64).any(|w| w == pattern.as_slice());
    let json = format!(
        r#"{{"fileId":"f1","name":"big.bin","filePath":"/big.bin","size":{TOTAL},"fileType":"non-image"}}"#
    );
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    );
    sock.write_all(answer.as_bytes()).await.unwrap();
    sock.shutdown().await.unwrap();
    (body_seen, file_found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_upload_is_never_held_whole() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let gate = Arc::new(Gate::default());
    let server = tokio::spawn(server(listener, gate.clone()));

    let reads = Arc::new(AtomicUsize::new(0));
    let max_ahead = Arc::new(AtomicU64::new(0));
    let reader =
        GatedReader { produced: 0, gate, reads: reads.clone(), max_ahead: max_ahead.clone() };
    let ik =
        ImageKit::builder().private_key("private_test_key").upload_base_url(&base).build().unwrap();
    let upload = ik.upload(
        UploadRequest::new(FileSource::reader(reader, Some(TOTAL)), "big.bin")
            .use_unique_file_name(false),
    );
    // A bound so that a client that buffers fails the test instead of
    // hanging it; a streaming one finishes as fast as localhost allows.
    let file = tokio::time::timeout(Duration::from_secs(300), upload)
        .await
        .expect("the upload deadlocked: the client waited for the whole file before sending")
        .unwrap();
    let (body_bytes, file_found) = server.await.unwrap();

    assert_eq!(file.size, Some(TOTAL));
    assert!(body_bytes > TOTAL, "the multipart body holds the whole file");
    assert!(file_found, "the file's bytes were sent as generated");
    let reads = reads.load(Ordering::SeqCst);
    assert!(reads as u64 >= TOTAL / CHUNK as u64, "read in chunks, {reads} reads");
    let ahead = max_ahead.load(Ordering::SeqCst);
    assert!(ahead <= WINDOW, "the reader ran {ahead} bytes ahead of the server");
    eprintln!("{reads} reads; the reader was at most {} KiB ahead of the server", ahead >> 10);
}
