//! Fault injection against the emulator: lost answers, dropped
//! connections, rate limits and latency; uploads never duplicate a file.
#![cfg(feature = "emulator")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use pixmize_imagekit::emulator::{Emulator, EmulatorHandle, Fault, FaultAction, FaultRoute};
use pixmize_imagekit::{
    Error, FileSource, ImageKit, ListQuery, RecordingSleeper, TransportKind, UploadRequest,
};
use support::{no_jitter, png};

async fn setup() -> (EmulatorHandle, ImageKit, RecordingSleeper) {
    let emu = Emulator::start().await.unwrap();
    let sleeper = RecordingSleeper::new();
    let ik = emu
        .client_builder()
        .sleeper(Arc::new(sleeper.clone()))
        .retry_policy(no_jitter())
        .build()
        .unwrap();
    (emu, ik, sleeper)
}

#[tokio::test]
async fn an_upload_whose_answer_is_lost_is_recovered_not_duplicated() {
    for (fault, lost) in
        [(Fault::drop_after_handling(), 0u16), (Fault::status_after_handling(502), 502)]
    {
        let (emu, ik, sleeper) = setup().await;
        emu.inject(fault.clone().on(FaultRoute::Upload));
        let file = ik
            .upload(UploadRequest::new(FileSource::bytes(png(10, 10)), "once.png").folder("/x"))
            .await
            .unwrap();
        assert!(file.recovered, "{fault:?}");
        let files = emu.files();
        assert_eq!(files.len(), 1, "{fault:?}: exactly one file");
        assert_eq!(files[0].file_id, file.file_id.as_str());
        assert_eq!(file.file_path, files[0].file_path);
        assert_eq!(file.width, Some(10));
        assert_eq!(sleeper.sleeps().len(), 1);
        // The log shows the lost attempt, the refused retry and the lookup.
        let log: Vec<_> =
            emu.requests().into_iter().map(|r| (r.method, r.path, r.status)).collect();
        assert_eq!(
            log,
            [
                ("POST".to_owned(), "/api/v1/files/upload".to_owned(), lost),
                ("POST".to_owned(), "/api/v1/files/upload".to_owned(), 400),
                ("GET".to_owned(), "/v1/files".to_owned(), 200),
            ],
            "{fault:?}"
        );
    }
}

#[tokio::test]
async fn transient_upload_failures_before_handling_are_retried() {
    let (emu, ik, sleeper) = setup().await;
    emu.inject(Fault::drop_connection().on(FaultRoute::Upload));
    emu.inject(Fault::status(503).on(FaultRoute::Upload));
    let file = ik.upload(UploadRequest::new(FileSource::bytes(png(4, 4)), "t.png")).await.unwrap();
    assert!(!file.recovered);
    assert_eq!(emu.files().len(), 1);
    assert_eq!(sleeper.sleeps(), [Duration::from_millis(500), Duration::from_millis(1000)]);
}

#[tokio::test]
async fn server_named_uploads_are_not_retried_after_an_ambiguous_failure() {
    let (emu, ik, _) = setup().await;
    emu.inject(Fault::drop_after_handling().on(FaultRoute::Upload));
    let e = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(4, 4)), "s.png").use_unique_file_name(true),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Transport { kind: TransportKind::Connection, attempts: 1, .. }),
        "{e:?}"
    );
    // The first attempt stored it; no second copy was made.
    assert_eq!(emu.files().len(), 1);
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn streamed_uploads_are_sent_once() {
    let (emu, ik, _) = setup().await;
    emu.inject(Fault::status(503).on(FaultRoute::Upload));
    let data = png(30, 30);
    let reader = std::io::Cursor::new(data.clone());
    let e =
        ik.upload(UploadRequest::new(FileSource::reader(reader, None), "r.png")).await.unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 503);
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn rate_limits_from_the_server_are_waited_out() {
    let (emu, ik, sleeper) = setup().await;
    emu.inject(Fault::rate_limited(Duration::from_millis(1500)).on(FaultRoute::Api).times(2));
    ik.list_files(&ListQuery::new()).await.unwrap();
    assert_eq!(sleeper.sleeps(), [Duration::from_millis(1500), Duration::from_millis(1500)]);
    let rl = ik.last_rate_limit().unwrap();
    assert_eq!(rl.limit, Some(1000), "the last (successful) answer's headers");
    // A third 429 in a row exceeds the two retries.
    emu.inject(Fault::rate_limited(Duration::from_millis(700)).on(FaultRoute::Api).times(3));
    let e = ik.list_files(&ListQuery::new()).await.unwrap_err();
    assert!(e.is_rate_limited());
    assert_eq!(e.rate_limit().unwrap().reset, Some(Duration::from_millis(700)));
    assert_eq!(e.api().unwrap().attempts, 3);
}

#[tokio::test]
async fn faults_match_method_and_path_and_are_used_up() {
    let (emu, ik, _) = setup().await;
    let f = ik.upload(UploadRequest::new(FileSource::bytes(png(4, 4)), "d.png")).await.unwrap();
    emu.inject(
        Fault::status(500)
            .on(FaultRoute::PathPrefix("/v1/files/".into()))
            .method(Method::DELETE)
            .times(5),
    );
    // A GET is not affected.
    ik.file_details(&f.file_id).await.unwrap();
    let e = ik.delete_file(&f.file_id).await.unwrap_err();
    assert_eq!(e.api().unwrap().attempts, 3);
    assert_eq!(emu.pending_faults()[0].remaining(), 2);
    // The last two faults, then success on the third attempt.
    ik.delete_file(&f.file_id).await.unwrap();
    assert!(emu.pending_faults().is_empty());
    assert!(emu.files().is_empty());
    emu.inject(Fault::status(500));
    emu.clear_faults();
    ik.list_files(&ListQuery::new()).await.unwrap();
}

#[tokio::test]
async fn latency_meets_the_timeout() {
    let emu = Emulator::start().await.unwrap();
    let sleeper = RecordingSleeper::new();
    let ik = emu
        .client_builder()
        .timeout(Duration::from_millis(150))
        .max_retries(0)
        .sleeper(Arc::new(sleeper))
        .build()
        .unwrap();
    emu.inject(Fault::new(FaultAction::Latency(Duration::from_secs(2))).on(FaultRoute::Api));
    let e = ik.list_files(&ListQuery::new()).await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    // Without the fault, the same client answers in time.
    ik.list_files(&ListQuery::new()).await.unwrap();
}

#[tokio::test]
async fn dropped_connections_on_idempotent_calls_are_retried() {
    let (emu, ik, sleeper) = setup().await;
    emu.inject(Fault::drop_connection().on(FaultRoute::Api).times(2));
    ik.list_files(&ListQuery::new()).await.unwrap();
    assert_eq!(sleeper.sleeps().len(), 2);
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [0, 0, 200]);
}

#[tokio::test]
async fn custom_headers_fault_drives_retry_after() {
    let (emu, ik, sleeper) = setup().await;
    emu.inject(
        Fault::new(FaultAction::StatusWithHeaders(503, vec![("retry-after".into(), "4".into())]))
            .on(FaultRoute::Api),
    );
    ik.list_files(&ListQuery::new()).await.unwrap();
    assert_eq!(sleeper.sleeps(), [Duration::from_secs(4)]);
}
