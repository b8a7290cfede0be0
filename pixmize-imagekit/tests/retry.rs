//! Retries, backoff and waiting hints, timeouts and rate-limit info, with
//! a recording sleeper: no test waits for real.

mod support;

use std::sync::Arc;
use std::time::Duration;

use pixmize_imagekit::{
    Error, FileSource, ManualClock, RecordingSleeper, TransportKind, UploadRequest,
};
use serde_json::json;
use support::{builder, wired};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn details() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"fileId": "f1", "name": "a.jpg"}))
}

async fn fail_then_ok(server: &MockServer, first: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(details())
        .mount(server)
        .await;
}

#[tokio::test]
async fn retryable_statuses_are_retried_with_backoff() {
    for status in [408u16, 409, 429, 500, 502, 503, 504] {
        let server = MockServer::start().await;
        fail_then_ok(&server, ResponseTemplate::new(status), 2).await;
        let (ik, sleeper) = wired(&server.uri());
        assert_eq!(ik.file_details("f1").await.unwrap().file_id, "f1", "{status}");
        // 0.5 s then 1 s (no jitter in these tests).
        assert_eq!(
            sleeper.sleeps(),
            [Duration::from_millis(500), Duration::from_millis(1000)],
            "{status}"
        );
        assert_eq!(server.received_requests().await.unwrap().len(), 3);
    }
}

#[tokio::test]
async fn retries_are_bounded_and_the_error_carries_everything() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-ik-requestId", "req-1")
                .set_body_json(json!({"message": "Service down", "help": "Try later"})),
        )
        .expect(3)
        .mount(&server)
        .await;
    let (ik, sleeper) = wired(&server.uri());
    let e = ik.file_details("f1").await.unwrap_err();
    let api = e.api().unwrap();
    assert_eq!(
        (api.status.as_u16(), api.message.as_str(), api.help.as_deref()),
        (503, "Service down", Some("Try later"))
    );
    assert_eq!(api.request_id.as_deref(), Some("req-1"));
    assert_eq!(api.attempts, 3);
    assert!(e.is_retryable());
    assert_eq!(sleeper.sleeps().len(), 2);
}

#[tokio::test]
async fn non_retryable_statuses_are_not_retried() {
    for status in [400u16, 401, 403, 404, 422] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/files/f1/details"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({"message": "no"})))
            .expect(1)
            .mount(&server)
            .await;
        let (ik, sleeper) = wired(&server.uri());
        let e = ik.file_details("f1").await.unwrap_err();
        assert_eq!(e.status().unwrap().as_u16(), status);
        assert!(!e.is_retryable());
        assert!(sleeper.sleeps().is_empty());
    }
}

#[tokio::test]
async fn server_waiting_hints_are_honoured() {
    let cases: Vec<(ResponseTemplate, Duration)> = vec![
        (
            ResponseTemplate::new(503).insert_header("retry-after-ms", "1234"),
            Duration::from_millis(1234),
        ),
        (ResponseTemplate::new(503).insert_header("retry-after", "3"), Duration::from_secs(3)),
        (
            // ImageKit's own header, in milliseconds; the official SDKs ignore it.
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-limit", "10")
                .insert_header("x-ratelimit-reset", "2500")
                .insert_header("x-ratelimit-interval", "1000"),
            Duration::from_millis(2500),
        ),
        (
            // An HTTP date, against the client's clock (2023-11-14T22:13:20Z).
            ResponseTemplate::new(503)
                .insert_header("retry-after", "Tue, 14 Nov 2023 22:13:27 GMT"),
            Duration::from_secs(7),
        ),
    ];
    for (first, want) in cases {
        let server = MockServer::start().await;
        fail_then_ok(&server, first, 1).await;
        let sleeper = RecordingSleeper::new();
        let ik = builder(&server.uri())
            .sleeper(Arc::new(sleeper.clone()))
            .clock(Arc::new(ManualClock::at_unix(1_700_000_000)))
            .build()
            .unwrap();
        ik.file_details("f1").await.unwrap();
        assert_eq!(sleeper.sleeps(), [want]);
    }
}

#[tokio::test]
async fn a_wait_longer_than_allowed_ends_the_retries_with_rate_limit_info() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-ratelimit-limit", "10")
                .insert_header("x-ratelimit-reset", "90000")
                .insert_header("x-ratelimit-interval", "60000")
                .set_body_json(json!({"message": "Too many requests"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (ik, sleeper) = wired(&server.uri());
    let e = ik.file_details("f1").await.unwrap_err();
    assert!(e.is_rate_limited() && e.is_retryable());
    let rl = e.rate_limit().unwrap();
    assert_eq!(
        (rl.limit, rl.reset, rl.interval),
        (Some(10), Some(Duration::from_secs(90)), Some(Duration::from_secs(60)))
    );
    assert_eq!(e.api().unwrap().retry_after, Some(Duration::from_secs(90)));
    assert!(sleeper.sleeps().is_empty());
    assert_eq!(ik.last_rate_limit(), Some(*rl));
}

#[tokio::test]
async fn rate_limit_headers_of_successes_are_exposed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(
            details()
                .insert_header("x-ratelimit-limit", "100")
                .insert_header("x-ratelimit-reset", "0")
                .insert_header("x-ik-requestId", "rq-7"),
        )
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    ik.file_details("f1").await.unwrap();
    let rl = ik.last_rate_limit().unwrap();
    assert_eq!((rl.limit, rl.reset), (Some(100), Some(Duration::ZERO)));
    let meta = ik.last_response().unwrap();
    assert_eq!(
        (meta.endpoint, meta.status.as_u16(), meta.request_id.as_deref()),
        ("file_details", 200, Some("rq-7"))
    );
    assert_eq!(meta.rate_limit, Some(rl));
}

#[tokio::test]
async fn x_should_retry_overrides_the_decision() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(ResponseTemplate::new(503).insert_header("x-should-retry", "false"))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    assert_eq!(ik.file_details("f1").await.unwrap_err().status().unwrap().as_u16(), 503);

    let server = MockServer::start().await;
    fail_then_ok(&server, ResponseTemplate::new(400).insert_header("x-should-retry", "true"), 1)
        .await;
    let (ik, sleeper) = wired(&server.uri());
    ik.file_details("f1").await.unwrap();
    assert_eq!(sleeper.sleeps().len(), 1);
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported() {
    // A port with nothing listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (ik, sleeper) = wired(&format!("http://{addr}"));
    let e = ik.file_details("f1").await.unwrap_err();
    match &e {
        Error::Transport { kind, attempts, .. } => {
            assert_eq!((*kind, *attempts), (TransportKind::Connect, 3))
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_retryable());
    assert_eq!(sleeper.sleeps().len(), 2);
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!(
        e.to_string(),
        "request to ImageKit file_details failed (could not connect) after 3 attempt(s)"
    );
}

#[tokio::test]
async fn every_call_has_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(details().set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let ik = builder(&server.uri())
        .timeout(Duration::from_millis(100))
        .max_retries(1)
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let e = ik.file_details("f1").await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(sleeper.sleeps().len(), 1, "a timeout is retried");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn uploads_with_server_chosen_names_retry_only_when_nothing_was_stored() {
    // useUniqueFileName=true: a 503 may come after storing, so no retry…
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let req = UploadRequest::new(FileSource::bytes(vec![1]), "a.jpg").use_unique_file_name(true);
    assert_eq!(ik.upload(req).await.unwrap_err().status().unwrap().as_u16(), 503);

    // …but a 429 stores nothing and is retried.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "10"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fileId": "f1"})))
        .mount(&server)
        .await;
    let (ik, sleeper) = wired(&server.uri());
    let req = UploadRequest::new(FileSource::bytes(vec![1]), "a.jpg").use_unique_file_name(true);
    assert_eq!(ik.upload(req).await.unwrap().file_id, "f1");
    assert_eq!(sleeper.sleeps(), [Duration::from_millis(10)]);
}

#[tokio::test]
async fn one_shot_streams_are_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let reader = std::io::Cursor::new(vec![7u8; 200_000]);
    let req = UploadRequest::new(FileSource::reader(reader, Some(200_000)), "big.bin");
    assert_eq!(ik.upload(req).await.unwrap_err().status().unwrap().as_u16(), 503);
    let got = &server.received_requests().await.unwrap()[0];
    assert!(got.body.len() > 200_000, "the stream was sent whole");
}
