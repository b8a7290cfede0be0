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

/// A response over the size cap is not retried, and the error agrees.
#[tokio::test]
async fn oversized_responses_are_neither_retried_nor_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(details())
        .expect(1)
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let ik = builder(&server.uri())
        .max_response_bytes(4)
        .sleeper(Arc::new(sleeper.clone()))
        .build()
        .unwrap();
    let e = ik.file_details("f1").await.unwrap_err();
    assert!(
        matches!(e, Error::Transport { kind: TransportKind::TooLarge, attempts: 1, .. }),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert!(sleeper.sleeps().is_empty());
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

/// Mounts `first` once for `verb path`, then `then` for every later call.
async fn first_then(
    server: &MockServer,
    verb: &str,
    route: &str,
    first: ResponseTemplate,
    then: ResponseTemplate,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb)).and(path(route)).respond_with(then).mount(server).await;
}

fn lost() -> ResponseTemplate {
    // What a proxy answers when the origin acted but its answer was lost.
    ResponseTemplate::new(502).set_body_json(json!({"message": "Bad gateway"}))
}

#[tokio::test]
async fn calls_that_are_not_idempotent_are_not_retried_after_an_unknown_outcome() {
    type Call = fn(
        &pixmize_imagekit::ImageKit,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), Error>> + Send + '_>,
    >;
    let cases: &[(&str, &str, Call)] = &[
        ("POST", "/v1/files/copy", |ik| Box::pin(ik.copy_file("/a.jpg", "/b/", false))),
        ("POST", "/v1/files/move", |ik| Box::pin(ik.move_file("/a.jpg", "/b/"))),
        ("PUT", "/v1/files/rename", |ik| {
            Box::pin(async move { ik.rename_file("/a.jpg", "b.jpg", false).await.map(drop) })
        }),
        ("POST", "/v1/bulkJobs/copyFolder", |ik| {
            Box::pin(async move { ik.copy_folder("/a", "/b", false).await.map(drop) })
        }),
        ("POST", "/v1/bulkJobs/moveFolder", |ik| {
            Box::pin(async move { ik.move_folder("/a", "/b").await.map(drop) })
        }),
        ("POST", "/v1/bulkJobs/renameFolder", |ik| {
            Box::pin(async move { ik.rename_folder("/a", "c", false).await.map(drop) })
        }),
        ("POST", "/v1/saved-extensions", |ik| {
            Box::pin(async move {
                ik.create_resource(
                    pixmize_imagekit::AccountResource::SavedExtensions,
                    json!({"name": "x"}),
                )
                .await
                .map(drop)
            })
        }),
        ("POST", "/v1/anything", |ik| {
            Box::pin(async move {
                ik.request_json(http::Method::POST, "v1/anything", &[], None).await.map(drop)
            })
        }),
    ];
    for (verb, route, call) in cases {
        // Arrange: the first attempt "fails after processing".
        let server = MockServer::start().await;
        Mock::given(method(*verb))
            .and(path(*route))
            .respond_with(lost())
            .expect(1)
            .mount(&server)
            .await;
        let (ik, sleeper) = wired(&server.uri());
        // Act
        let e = call(&ik).await.unwrap_err();
        // Assert: one attempt, the error says the outcome is unknown.
        let api = e.api().unwrap_or_else(|| panic!("{route}: {e:?}"));
        assert_eq!((api.status.as_u16(), api.attempts), (502, 1), "{route}");
        assert!(e.is_retryable(), "{route}");
        assert!(sleeper.sleeps().is_empty(), "{route}");
        server.verify().await;
    }
}

#[tokio::test]
async fn calls_that_are_not_idempotent_are_retried_when_certainly_not_processed() {
    // A 429: ImageKit's rate limiter refused before handling.
    let server = MockServer::start().await;
    first_then(
        &server,
        "POST",
        "/v1/bulkJobs/copyFolder",
        ResponseTemplate::new(429).insert_header("retry-after-ms", "5"),
        ResponseTemplate::new(200).set_body_json(json!({"jobId": "job-1"})),
    )
    .await;
    let (ik, sleeper) = wired(&server.uri());
    assert_eq!(ik.copy_folder("/a", "/b", false).await.unwrap(), "job-1");
    assert_eq!(sleeper.sleeps(), [Duration::from_millis(5)]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // The server says so.
    let server = MockServer::start().await;
    first_then(
        &server,
        "PUT",
        "/v1/files/rename",
        ResponseTemplate::new(503).insert_header("x-should-retry", "true"),
        ResponseTemplate::new(200).set_body_json(json!({})),
    )
    .await;
    let (ik, _) = wired(&server.uri());
    ik.rename_file("/a.jpg", "b.jpg", false).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // Nothing listening: nothing was sent.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (ik, sleeper) = wired(&format!("http://{addr}"));
    let e = ik.move_file("/a.jpg", "/b/").await.unwrap_err();
    assert!(matches!(e, Error::Transport { kind: TransportKind::Connect, attempts: 3, .. }));
    assert_eq!(sleeper.sleeps().len(), 2);
}

#[tokio::test]
async fn a_retried_delete_that_finds_nothing_succeeded() {
    let conflict = || ResponseTemplate::new(404).set_body_json(json!({"message": "not found"}));
    // The first attempt deleted the file, its answer was lost (a 504).
    let server = MockServer::start().await;
    first_then(&server, "DELETE", "/v1/files/f1", ResponseTemplate::new(504), conflict()).await;
    let (ik, _) = wired(&server.uri());
    ik.delete_file("f1").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // A plain 404 is still an error.
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/files/f1"))
        .respond_with(conflict())
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let e = ik.delete_file("f1").await.unwrap_err();
    assert!(e.is_not_found() && !e.api().unwrap().after_uncertain_attempt);

    // After a 429 nothing was deleted, so the 404 is real.
    let server = MockServer::start().await;
    first_then(&server, "DELETE", "/v1/files/f1", ResponseTemplate::new(429), conflict()).await;
    let (ik, _) = wired(&server.uri());
    assert!(ik.delete_file("f1").await.unwrap_err().is_not_found());

    // The same for folders.
    let server = MockServer::start().await;
    first_then(&server, "DELETE", "/v1/folder", ResponseTemplate::new(500), conflict()).await;
    let (ik, _) = wired(&server.uri());
    ik.delete_folder("/a").await.unwrap();
}

#[tokio::test]
async fn a_retried_create_folder_that_finds_it_succeeded() {
    let exists =
        || ResponseTemplate::new(409).set_body_json(json!({"message": "Folder already exists"}));
    let server = MockServer::start().await;
    first_then(&server, "POST", "/v1/folder", lost(), exists()).await;
    let (ik, _) = wired(&server.uri());
    ik.create_folder("pets", "/").await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // A 409 on the first attempt is an error, not retried (it means "it
    // exists", not a lock).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/folder"))
        .respond_with(exists())
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let e = ik.create_folder("pets", "/").await.unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 409);
    assert!(!e.api().unwrap().after_uncertain_attempt);
}

#[tokio::test]
async fn a_retried_create_field_that_finds_it_returns_it() {
    let server = MockServer::start().await;
    first_then(
        &server,
        "POST",
        "/v1/customMetadataFields",
        lost(),
        ResponseTemplate::new(400).set_body_json(
            json!({"message": "A custom metadata field with this name already exists"}),
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/customMetadataFields"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "other", "name": "brand", "label": "Brand", "schema": {"type": "Text"}},
            {"id": "cmf-1", "name": "price", "label": "Price", "schema": {"type": "Number"}}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let schema = pixmize_imagekit::FieldSchema::new(pixmize_imagekit::FieldType::Number);
    let f = ik.create_custom_metadata_field("price", "Price", &schema).await.unwrap();
    assert_eq!(f.id, "cmf-1");

    // Not there (the 400 was about something else): the 400 is returned.
    let server = MockServer::start().await;
    first_then(
        &server,
        "POST",
        "/v1/customMetadataFields",
        lost(),
        ResponseTemplate::new(400).set_body_json(json!({"message": "Invalid schema"})),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/customMetadataFields"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let e = ik.create_custom_metadata_field("price", "Price", &schema).await.unwrap_err();
    assert_eq!(e.api().unwrap().message, "Invalid schema");
}

#[tokio::test]
async fn per_call_metadata_does_not_mix_between_concurrent_calls() {
    let server = MockServer::start().await;
    for (id, limit, rid) in [("a", "10", "rq-a"), ("b", "20", "rq-b")] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/files/{id}/details")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"fileId": id}))
                    .insert_header("x-ratelimit-limit", limit)
                    .insert_header("x-ik-requestId", rid)
                    // b answers first although it is asked second.
                    .set_delay(Duration::from_millis(if id == "a" { 300 } else { 0 })),
            )
            .mount(&server)
            .await;
    }
    let (ik, _) = wired(&server.uri());
    let other = ik.clone();
    let (a, b) =
        tokio::join!(ik.file_details_with_response("a"), other.file_details_with_response("b"));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.value.file_id.as_str(), a.meta.request_id.as_deref()), ("a", Some("rq-a")));
    assert_eq!(a.meta.rate_limit.unwrap().limit, Some(10));
    assert_eq!((b.value.file_id.as_str(), b.meta.request_id.as_deref()), ("b", Some("rq-b")));
    assert_eq!(b.meta.rate_limit.unwrap().limit, Some(20));
    assert_eq!((a.meta.endpoint, a.meta.attempt), ("file_details", 1));

    // Any call, through `capture`.
    let (r, meta) = pixmize_imagekit::ResponseMeta::capture(ik.file_details("b")).await;
    assert_eq!(r.unwrap().file_id, "b");
    assert_eq!(meta.unwrap().request_id.as_deref(), Some("rq-b"));
    // Nothing answered: no metadata.
    let (r, meta) = pixmize_imagekit::ResponseMeta::capture(ik.file_details("")).await;
    assert!(r.is_err() && meta.is_none());
}

#[tokio::test]
async fn upload_and_list_with_response() {
    let server = MockServer::start().await;
    first_then(
        &server,
        "POST",
        "/api/v1/files/upload",
        ResponseTemplate::new(503),
        ResponseTemplate::new(200)
            .set_body_json(json!({"fileId": "f9"}))
            .insert_header("x-ik-requestId", "rq-up"),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/files"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"type": "file", "fileId": "f9"}]))
                .insert_header("x-ratelimit-limit", "500")
                .insert_header("x-ratelimit-reset", "250"),
        )
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let up = ik
        .upload_with_response(UploadRequest::new(FileSource::bytes(vec![1, 2]), "a.bin"))
        .await
        .unwrap();
    assert_eq!(up.value.file_id, "f9");
    assert_eq!(
        (up.meta.endpoint, up.meta.status.as_u16(), up.meta.attempt, up.meta.request_id.as_deref()),
        ("upload", 200, 2, Some("rq-up"))
    );
    let page = ik.list_files_with_response(&pixmize_imagekit::ListQuery::new()).await.unwrap();
    assert_eq!(page.value.len(), 1);
    let rl = page.meta.rate_limit.unwrap();
    assert_eq!((rl.limit, rl.reset), (Some(500), Some(Duration::from_millis(250))));
    assert_eq!(page.into_value().len(), 1);
}
