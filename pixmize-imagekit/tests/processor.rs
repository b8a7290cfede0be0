//! `ImageKitProcessor` against the emulator, with a fault at every step:
//! no upload is ever left behind unless the error says so.
#![cfg(feature = "emulator")]

mod support;

use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::Method;
use pixmize_core::codec::ImageFormat;
use pixmize_core::{Job, Processor};
use pixmize_imagekit::emulator::{Emulator, EmulatorHandle, Fault, FaultRoute};
use pixmize_imagekit::{
    Cleanup, Error, ImageKitProcessor, ProcessingStage, ProcessorEvent, ProcessorOptions,
    RecordingSleeper,
};
use support::{no_jitter, png};

type Events = Arc<Mutex<Vec<ProcessorEvent>>>;

async fn setup(options: ProcessorOptions) -> (EmulatorHandle, ImageKitProcessor, Events) {
    let emu = Emulator::start().await.unwrap();
    let ik = emu
        .client_builder()
        .sleeper(Arc::new(RecordingSleeper::new()))
        .retry_policy(no_jitter())
        .build()
        .unwrap();
    let events: Events = Arc::default();
    let sink = events.clone();
    let p = ImageKitProcessor::new(ik)
        .unwrap()
        .options(options)
        .on_event(move |e| sink.lock().unwrap().push(e.clone()));
    (emu, p, events)
}

fn job(t: &str) -> Job {
    Job::new(png(64, 48), t.parse().unwrap())
}

fn kinds(events: &Events) -> Vec<&'static str> {
    events
        .lock()
        .unwrap()
        .iter()
        .map(|e| match e {
            ProcessorEvent::Uploaded(_) => "uploaded",
            ProcessorEvent::Fetched { .. } => "fetched",
            ProcessorEvent::Deleted(_) => "deleted",
            ProcessorEvent::Kept(_) => "kept",
            ProcessorEvent::CleanupFailed(_) => "cleanup_failed",
            _ => "other",
        })
        .collect()
}

fn failure(e: &Error) -> (ProcessingStage, Cleanup) {
    match e {
        Error::Processing { stage, cleanup, .. } => (*stage, cleanup.clone()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn processes_in_the_cloud_and_leaves_nothing() {
    let (emu, p, events) = setup(ProcessorOptions::default()).await;
    assert_eq!(p.location().recipient(), Some("imagekit"));
    assert!(p.supports(&"e-bgremove,fo-face".parse().unwrap()).is_full());
    let started = std::time::Instant::now();
    let out = p
        .process_detailed(job("w-32,h-32,f-png,e-bgremove").accept([ImageFormat::Png]))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!((out.processed.width, out.processed.height), (32, 32));
    assert_eq!(out.processed.format, ImageFormat::Png);
    assert_eq!(out.processed.location.recipient(), Some("imagekit"));
    assert_eq!(out.cleanup, Cleanup::Deleted);
    assert!(
        out.upload.file_path.starts_with("/pixmize-tmp/") && out.upload.file_path.ends_with(".png")
    );
    assert!(emu.files().is_empty());
    assert_eq!(kinds(&events), ["uploaded", "fetched", "deleted"]);
    // The upload was private and the fetch signed.
    let log = emu.requests();
    let upload = &log[0];
    assert_eq!(upload.path, "/api/v1/files/upload");
    let fetch = log.iter().find(|r| r.path.starts_with("/cdn/")).unwrap();
    let q = fetch.query.as_deref().unwrap();
    assert!(
        q.contains("tr=w-32,h-32,f-png,e-bgremove") && q.contains("ik-t=") && q.contains("ik-s="),
        "{q}"
    );
    assert_eq!(fetch.header("accept"), Some("image/png"));
    assert!(fetch.header("authorization").is_none(), "no key is sent to the CDN");
    eprintln!("emulator round trip (upload, transform, fetch, delete): {elapsed:?}");
}

#[tokio::test]
async fn through_the_trait_errors_come_back_typed() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    let out = Processor::process(&p, job("w-16")).await.unwrap();
    assert_eq!((out.width, out.height), (16, 12));
    emu.inject(Fault::status(500).on(FaultRoute::Upload).times(3));
    let e = Processor::process(&p, job("w-16")).await.unwrap_err();
    let ik = e.source().unwrap().downcast_ref::<Error>().unwrap();
    assert_eq!(failure(ik), (ProcessingStage::Upload, Cleanup::NothingUploaded));
    assert_eq!(ik.status().unwrap().as_u16(), 500);
    assert!(emu.files().is_empty());
}

#[tokio::test]
async fn upload_stored_but_every_answer_lost() {
    let (emu, p, events) = setup(ProcessorOptions::default()).await;
    emu.inject(Fault::drop_after_handling().on(FaultRoute::Upload));
    emu.inject(Fault::status(503).on(FaultRoute::Upload).times(2));
    let e = p.process_detailed(job("w-8")).await.unwrap_err();
    assert_eq!(failure(&e), (ProcessingStage::Upload, Cleanup::Deleted));
    assert!(emu.files().is_empty(), "the stored copy was found and deleted");
    assert_eq!(kinds(&events), ["uploaded", "deleted"]);
}

#[tokio::test]
async fn upload_ok_fetch_fails() {
    let (emu, p, events) = setup(ProcessorOptions::default()).await;
    emu.inject(Fault::status(500).on(FaultRoute::Cdn).times(3));
    let e = p.process_detailed(job("w-8")).await.unwrap_err();
    assert_eq!(failure(&e), (ProcessingStage::Fetch, Cleanup::Deleted));
    assert!(emu.files().is_empty());
    assert_eq!(kinds(&events), ["uploaded", "deleted"]);
}

#[tokio::test]
async fn upload_ok_fetch_dropped_then_ok() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    emu.inject(Fault::drop_connection().on(FaultRoute::Cdn));
    p.process_detailed(job("w-8")).await.unwrap();
    assert!(emu.files().is_empty());
}

#[tokio::test]
async fn upload_ok_fetch_ok_garbage_answer() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    // A 200 whose body is not an image.
    emu.inject(Fault::status(200).on(FaultRoute::Cdn));
    let e = p.process_detailed(job("w-8")).await.unwrap_err();
    assert_eq!(failure(&e), (ProcessingStage::Decode, Cleanup::Deleted));
    assert!(emu.files().is_empty());
}

#[tokio::test]
async fn signing_fails() {
    let mut o = ProcessorOptions::default();
    o.url_lifetime = Duration::ZERO;
    let (emu, p, _) = setup(o).await;
    let e = p.process_detailed(job("w-8")).await.unwrap_err();
    assert_eq!(failure(&e), (ProcessingStage::SignUrl, Cleanup::Deleted));
    assert!(emu.files().is_empty());
}

#[tokio::test]
async fn upload_ok_fetch_ok_delete_fails_once_then_retries() {
    let (emu, p, events) = setup(ProcessorOptions::default()).await;
    emu.inject(Fault::status(500).on(FaultRoute::Api).method(Method::DELETE));
    let out = p.process_detailed(job("w-8")).await.unwrap();
    assert_eq!(out.cleanup, Cleanup::Deleted);
    assert!(emu.files().is_empty());
    let deletes: Vec<u16> =
        emu.requests().iter().filter(|r| r.method == "DELETE").map(|r| r.status).collect();
    assert_eq!(deletes, [500, 204]);
    assert_eq!(kinds(&events), ["uploaded", "fetched", "deleted"]);
}

#[tokio::test]
async fn delete_never_succeeds_is_reported_as_orphaned() {
    let (emu, p, events) = setup(ProcessorOptions::default()).await;
    emu.inject(Fault::status(500).on(FaultRoute::Api).method(Method::DELETE).times(100));
    let e = p.process_detailed(job("w-8")).await.unwrap_err();
    let (stage, cleanup) = failure(&e);
    assert_eq!(stage, ProcessingStage::Delete);
    let files = emu.files();
    assert_eq!(files.len(), 1);
    assert_eq!(
        cleanup,
        Cleanup::Orphaned {
            file_id: files[0].file_id.clone(),
            file_path: files[0].file_path.clone()
        }
    );
    assert!(e.to_string().contains("could NOT be deleted"), "{e}");
    assert_eq!(kinds(&events), ["uploaded", "fetched", "cleanup_failed"]);
    // 3 cleanup attempts × 3 client attempts.
    assert_eq!(emu.requests().iter().filter(|r| r.method == "DELETE").count(), 9);
}

#[tokio::test]
async fn fetch_fails_and_delete_fails_once() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    emu.inject(Fault::status(404).on(FaultRoute::Cdn));
    emu.inject(Fault::drop_connection().on(FaultRoute::Api).method(Method::DELETE));
    let e = p.process_detailed(job("w-8")).await.unwrap_err();
    assert_eq!(failure(&e), (ProcessingStage::Fetch, Cleanup::Deleted));
    assert!(emu.files().is_empty());
}

#[tokio::test]
async fn keep_uploads_when_asked() {
    let mut o = ProcessorOptions::default();
    o.keep_uploads = true;
    o.folder = "/kept".into();
    let (emu, p, events) = setup(o).await;
    let out = p.process_detailed(job("w-8")).await.unwrap();
    assert!(
        matches!(&out.cleanup, Cleanup::Kept { file_path, .. } if file_path.starts_with("/kept/"))
    );
    let files = emu.files();
    assert_eq!(files.len(), 1);
    assert!(files[0].is_private);
    assert_eq!(files[0].tags, ["pixmize-tmp"]);
    assert_eq!(kinds(&events), ["uploaded", "fetched", "kept"]);
}

#[tokio::test]
async fn empty_input_sends_nothing() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    let e = p.process_detailed(Job::new(Vec::new(), "w-8".parse().unwrap())).await.unwrap_err();
    assert_eq!(failure(&e), (ProcessingStage::Prepare, Cleanup::NothingUploaded));
    assert!(emu.requests().is_empty());
}

#[tokio::test]
async fn needs_a_url_endpoint_and_a_key() {
    let ik = pixmize_imagekit::ImageKit::builder().private_key("k").build().unwrap();
    assert!(matches!(ImageKitProcessor::new(ik), Err(Error::Config(_))));
    let ik = pixmize_imagekit::ImageKit::builder()
        .url_endpoint("https://ik.imagekit.io/x")
        .build()
        .unwrap();
    assert!(matches!(ImageKitProcessor::new(ik), Err(Error::Config(_))));
}

/// A processor whose events also go to a channel, so a test can wait for
/// one without sleeping.
fn with_channel(
    p: ImageKitProcessor,
) -> (ImageKitProcessor, tokio::sync::mpsc::UnboundedReceiver<ProcessorEvent>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (
        p.on_event(move |e| {
            let _ = tx.send(e.clone());
        }),
        rx,
    )
}

/// The next event, with a generous bound so that a bug fails the test
/// instead of hanging it (nothing is timed: the event comes as soon as the
/// emulator answers).
async fn next_event(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<ProcessorEvent>,
) -> ProcessorEvent {
    tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("no event within 60 s")
        .expect("the hook was dropped")
}

#[tokio::test]
async fn cancelled_after_the_upload_still_deletes_it() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    let (p, mut rx) = with_channel(p);
    // The fetch never answers, so the future is still running after the
    // upload; the test cancels it right after the `Uploaded` event.
    emu.inject(Fault::stall().on(FaultRoute::Cdn));
    let uploaded = {
        let process = p.process_detailed(job("w-8"));
        tokio::select! {
            r = process => panic!("process finished: {r:?}"),
            e = rx.recv() => match e {
                Some(ProcessorEvent::Uploaded(r)) => r,
                other => panic!("{other:?}"),
            },
        }
        // `process` is dropped here: cancelled.
    };
    assert_eq!(emu.files().len(), 1, "stored before the cancellation");
    assert_eq!(next_event(&mut rx).await, ProcessorEvent::Deleted(uploaded.clone()));
    assert!(emu.files().is_empty(), "the guard deleted the upload");
    let deletes: Vec<_> = emu.requests().into_iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].path, format!("/v1/files/{}", uploaded.file_id));
    assert_eq!(deletes[0].status, 204);
}

#[tokio::test]
async fn cancelled_while_the_upload_is_in_flight_finds_and_deletes_it() {
    let (emu, p, _) = setup(ProcessorOptions::default()).await;
    let (p, mut rx) = with_channel(p);
    // The emulator stores the upload and never answers: cancel exactly
    // between "stored" and "answered".
    emu.inject(Fault::stall_after_handling().on(FaultRoute::Upload));
    {
        let process = p.process_detailed(job("w-8"));
        tokio::select! {
            r = process => panic!("process finished: {r:?}"),
            () = emu.wait_for(|e| e.files().len() == 1) => {}
        }
    }
    let stored = emu.files().remove(0);
    // The guard looked the file up by its path and deleted it.
    let found = match next_event(&mut rx).await {
        ProcessorEvent::Uploaded(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(found.file_id, stored.file_id.as_str());
    assert_eq!(next_event(&mut rx).await, ProcessorEvent::Deleted(found));
    assert!(emu.files().is_empty());
}

#[test]
fn dropped_outside_a_runtime_reports_the_upload() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (emu, p, events) = rt.block_on(setup(ProcessorOptions::default()));
    let (p, mut rx) = with_channel(p);
    let events_seen = events;
    emu.inject(Fault::stall().on(FaultRoute::Cdn));
    let mut process = Box::pin(p.process_detailed(job("w-8")));
    let uploaded = rt.block_on(async {
        tokio::select! {
            r = &mut process => panic!("process finished: {r:?}"),
            e = rx.recv() => match e {
                Some(ProcessorEvent::Uploaded(r)) => r,
                other => panic!("{other:?}"),
            },
        }
    });
    // Outside `block_on` there is no current runtime: nothing can be sent,
    // so the hook is told which file remains.
    drop(process);
    assert_eq!(rx.try_recv().unwrap(), ProcessorEvent::CleanupFailed(uploaded.clone()));
    let files = emu.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file_id, uploaded.file_id.as_str());
    assert!(events_seen.lock().unwrap().is_empty(), "the channel hook replaced the first one");
    drop(emu);
    drop(rt);
}
