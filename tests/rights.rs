//! Account rights end to end: Clerk's Backend API on wiremock, ImageKit on
//! the emulator, processing records written by the router itself.
#![cfg(all(feature = "router", feature = "imagekit"))]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pixmize::auth::{BackendClient, BackendError, PlanTable};
use pixmize::engine::Job;
use pixmize::imagekit::emulator::{Emulator, EmulatorHandle, Fault, FaultRoute};
use pixmize::imagekit::{FileSource, ImageKit, RecordingSleeper, UploadRequest};
use pixmize::{
    AccountExport, AccountRights, Context, EXPORT_FORMAT, EXPORT_VERSION, Error, Hybrid,
    ImageKitCloud, JsonLinesSink, MemorySink, RecordSink, UserId,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CLERK_SECRET: &str = "sk_test_rights_secret_value";
const PNG: &[u8] = include_bytes!("../pixmize-imagekit/tests/fixtures/red-64x48.png");

fn uid(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

/// A user as Clerk's Backend API returns it (`GET /v1/users/{id}`; shape
/// from `@clerk/backend` `api/resources/JSON.ts`, `UserJSON`), with fields
/// the typed model does not know.
fn clerk_user(id: &str) -> Value {
    json!({
        "id": id,
        "object": "user",
        "username": null,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
        "has_image": false,
        "primary_email_address_id": "idn_2x1",
        "primary_phone_number_id": null,
        "primary_web3_wallet_id": null,
        "password_enabled": true,
        "two_factor_enabled": false,
        "totp_enabled": false,
        "backup_code_enabled": false,
        "email_addresses": [{
            "id": "idn_2x1",
            "object": "email_address",
            "email_address": "ada@example.com",
            "reserved": false,
            "verification": {"status": "verified", "strategy": "email_code", "attempts": 1, "expire_at": 1_767_225_000_000_i64},
            "linked_to": [],
            "created_at": 1_767_000_000_000_i64,
            "updated_at": 1_767_000_000_000_i64
        }],
        "phone_numbers": [],
        "web3_wallets": [],
        "passkeys": [],
        "external_accounts": [{"object": "google_account", "id": "eac_1", "provider": "oauth_google", "email_address": "ada@example.com"}],
        "saml_accounts": [],
        "public_metadata": {"plan": "pro", "preference": "device_only"},
        "private_metadata": {"stripe_customer": "cus_123"},
        "unsafe_metadata": {"theme": "dark"},
        "external_id": null,
        "last_sign_in_at": 1_767_200_000_000_i64,
        "banned": false,
        "locked": false,
        "lockout_expires_in_seconds": null,
        "verification_attempts_remaining": 100,
        "created_at": 1_767_000_000_000_i64,
        "updated_at": 1_767_100_000_000_i64,
        "delete_self_enabled": true,
        "create_organization_enabled": true,
        "last_active_at": 1_767_200_000_000_i64,
        "legal_accepted_at": null,
        "locale": "en"
    })
}

fn clerk_not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "errors": [{"code": "resource_not_found", "message": "not found", "long_message": "User not found", "meta": {}}],
        "clerk_trace_id": "trace_404"
    }))
}

fn clerk_deleted(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"object": "user", "id": id, "deleted": true}))
}

/// Any request not matched by a test's mocks answers 500 naming the route.
async fn catch_all(server: &MockServer) {
    Mock::given(|_: &Request| true)
        .respond_with(|r: &Request| {
            ResponseTemplate::new(500).set_body_string(format!(
                "unmocked {} {}",
                r.method,
                r.url.path()
            ))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn clerk_client(server: &MockServer) -> BackendClient {
    BackendClient::builder()
        .secret_key(CLERK_SECRET)
        .base_url(format!("{}/v1", server.uri()))
        .max_retries(1)
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap()
}

/// An emulator client whose retry waits are recorded, not slept.
fn imagekit_client(emu: &EmulatorHandle) -> ImageKit {
    emu.client_builder().sleeper(Arc::new(RecordingSleeper::new())).build().unwrap()
}

/// Uploads a file into `folder`; returns its path.
async fn upload(ik: &ImageKit, folder: &str, name: &str) -> String {
    ik.upload(UploadRequest::new(FileSource::bytes(PNG.to_vec()), name).folder(folder))
        .await
        .unwrap()
        .file_path
}

/// Runs `n` device jobs for `user` (or anonymously) through the router, so
/// the sink holds real records.
async fn run_jobs(router: &Hybrid, user: Option<&str>, n: usize) {
    let ctx = match user {
        Some(id) => Context::user(id, PlanTable::default().entitlements(None)),
        None => router.anonymous(),
    };
    for _ in 0..n {
        let job = Job::new(PNG.to_vec(), "w-16".parse().unwrap());
        router.run(job, &ctx).await.unwrap();
    }
}

/// Two users with files and records, and an anonymous caller with records.
struct World {
    clerk: MockServer,
    emu: EmulatorHandle,
    ik: ImageKit,
    router: Hybrid,
    rights: AccountRights,
    a_files: Vec<String>,
    b_file: String,
}

async fn world() -> World {
    let clerk = MockServer::start().await;
    let emu = Emulator::start().await.unwrap();
    let ik = imagekit_client(&emu);
    let router = Hybrid::builder().build();
    run_jobs(&router, Some("user_a"), 2).await;
    run_jobs(&router, Some("user_b"), 1).await;
    run_jobs(&router, None, 1).await;
    let a_files = vec![
        upload(&ik, "/pixmize-tmp/user_a", "one.png").await,
        upload(&ik, "/pixmize-tmp/user_a", "two.png").await,
    ];
    let b_file = upload(&ik, "/pixmize-tmp/user_b", "three.png").await;
    // A user whose id starts like user_a's: its folder must survive.
    upload(&ik, "/pixmize-tmp/user_ab", "four.png").await;
    upload(&ik, "/pixmize-tmp/anonymous", "five.png").await;
    let rights =
        AccountRights::new(clerk_client(&clerk), Arc::clone(router.records())).imagekit(ik.clone());
    World { clerk, emu, ik, router, rights, a_files, b_file }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn export_has_the_profile_the_records_and_the_files() {
    // Arrange
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_a"))
        .and(header("authorization", format!("Bearer {CLERK_SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(clerk_user("user_a")))
        .expect(2)
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    w.emu.clear_requests();

    // Act
    let export = w.rights.export_at(&uid("user_a"), now).await.unwrap();

    // Assert
    assert_eq!(export.format, EXPORT_FORMAT);
    assert_eq!(export.version, EXPORT_VERSION);
    assert_eq!(export.user_id.as_str(), "user_a");
    assert_eq!(export.generated_at, 1_767_225_600);
    let profile = export.profile.as_ref().expect("Clerk knows the user");
    assert_eq!(profile.id, "user_a");
    assert_eq!(profile.primary_email(), Some("ada@example.com"));
    assert_eq!(profile.public_metadata["plan"], "pro");
    assert_eq!(profile.private_metadata["stripe_customer"], "cus_123");
    assert_eq!(profile.unsafe_metadata["theme"], "dark");
    assert_eq!(profile.external_accounts[0]["provider"], "oauth_google");
    let expected: Vec<_> = w.router.records().records_for("user_a").unwrap();
    assert_eq!(expected.len(), 2);
    assert_eq!(export.processing_records, expected);
    let files = export.stored_files.as_ref().expect("ImageKit is configured");
    assert_eq!(sorted(files.iter().map(|f| f.file_path.clone()).collect()), sorted(w.a_files));
    assert!(files.iter().all(|f| f.size == Some(PNG.len() as u64) && !f.file_id.is_empty()));

    // One JSON document that reads back the same.
    let text = serde_json::to_string_pretty(&export).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["format"], "pixmize.account-export");
    assert_eq!(doc["user_id"], "user_a");
    assert_eq!(doc["profile"]["private_metadata"]["stripe_customer"], "cus_123");
    assert_eq!(doc["processing_records"].as_array().unwrap().len(), 2);
    assert_eq!(doc["processing_records"][0]["user"], "user_a");
    let back: AccountExport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, export);
    assert!(!text.contains(CLERK_SECRET) && !text.contains(w.emu.private_key()));

    // Read-only and repeatable: the same document again, only GETs sent.
    assert_eq!(w.rights.export_at(&uid("user_a"), now).await.unwrap(), export);
    let methods: Vec<_> = w.emu.requests().into_iter().map(|r| r.method).collect();
    assert!(!methods.is_empty() && methods.iter().all(|m| m == "GET"), "{methods:?}");
    assert_eq!(w.emu.files().len(), 5);
    assert_eq!(w.router.records().records_for("user_a").unwrap().len(), 2);
}

#[tokio::test]
async fn export_of_a_user_without_records_or_files() {
    // Arrange
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_c"))
        .respond_with(ResponseTemplate::new(200).set_body_json(clerk_user("user_c")))
        .expect(1)
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;
    // Act
    let export = w.rights.export(&uid("user_c")).await.unwrap();
    // Assert
    assert_eq!(export.profile.unwrap().id, "user_c");
    assert!(export.processing_records.is_empty());
    assert_eq!(export.stored_files, Some(Vec::new()));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    assert!(export.generated_at.abs_diff(now) < 60, "export() stamps the current time");
}

#[tokio::test]
async fn export_of_a_user_clerk_does_not_know_has_no_profile() {
    // Arrange: Clerk answers 404, as after a deletion, yet records remain.
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_b"))
        .respond_with(clerk_not_found())
        .expect(1)
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;
    // Act
    let export = w.rights.export(&uid("user_b")).await.unwrap();
    // Assert
    assert!(export.profile.is_none());
    assert_eq!(serde_json::to_value(&export).unwrap()["profile"], Value::Null);
    assert_eq!(export.processing_records.len(), 1);
    assert_eq!(export.stored_files.unwrap()[0].file_path, w.b_file);
}

#[tokio::test]
async fn export_fails_typed_when_clerk_fails() {
    let w = world().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_a"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"errors": [], "clerk_trace_id": "t500"})),
        )
        .expect(2) // one retry
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;
    let err = w.rights.export(&uid("user_a")).await.unwrap_err();
    let Error::Service { service, source } = &err else { panic!("{err:?}") };
    assert_eq!(*service, "clerk");
    let clerk = source.downcast_ref::<BackendError>().expect("the Clerk client's error");
    assert_eq!(clerk.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(clerk.clerk_trace_id(), Some("t500"));
    assert!(!format!("{err:?} {err}").contains(CLERK_SECRET));
}

#[tokio::test]
async fn delete_removes_exactly_that_users_data_and_repeats_as_a_no_op() {
    // Arrange: Clerk deletes once, then no longer knows the user.
    let w = world().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .and(header("authorization", format!("Bearer {CLERK_SECRET}").as_str()))
        .respond_with(clerk_deleted("user_a"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&w.clerk)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .respond_with(clerk_not_found())
        .with_priority(10)
        .expect(1)
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;
    let other_records: Vec<_> = w.router.records().records_for("user_b").unwrap();

    // Act
    let report = w.rights.delete(&uid("user_a")).await.unwrap();

    // Assert: user_a's files, folder, records and Clerk user are gone.
    assert_eq!(
        sorted(report.files.iter().map(|f| f.file_path.clone()).collect()),
        sorted(w.a_files.clone())
    );
    assert_eq!(report.folder.as_deref(), Some("/pixmize-tmp/user_a"));
    assert_eq!(report.records, 2);
    assert!(report.profile);
    assert!(!report.is_empty());
    assert!(w.router.records().records_for("user_a").unwrap().is_empty());
    // Nobody else's: user_b, user_ab and the anonymous uploads stay.
    let left = sorted(w.emu.files().into_iter().map(|f| f.file_path).collect());
    assert_eq!(
        left,
        sorted(vec![
            w.b_file.clone(),
            left.iter().find(|p| p.starts_with("/pixmize-tmp/user_ab/")).cloned().unwrap(),
            left.iter().find(|p| p.starts_with("/pixmize-tmp/anonymous/")).cloned().unwrap(),
        ])
    );
    assert_eq!(w.router.records().records_for("user_b").unwrap(), other_records);
    let ik_folders =
        w.ik.list_files(
            &pixmize::imagekit::ListQuery::new()
                .kind(pixmize::imagekit::ListType::Folder)
                .path("/pixmize-tmp"),
        )
        .await
        .unwrap();
    let names: Vec<_> =
        ik_folders.iter().filter_map(|a| a.as_folder()).map(|f| f.name.clone()).collect();
    assert_eq!(sorted(names), ["anonymous", "user_ab", "user_b"]);

    // Act again: everything is already gone.
    let again = w.rights.delete(&uid("user_a")).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[tokio::test]
async fn a_clerk_failure_on_delete_is_typed_and_a_retry_completes() {
    // Arrange: Clerk fails (500 twice: the request and the client's one
    // retry), then works.
    let w = world().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "errors": [{"code": "internal_clerk_error", "message": "Oops, something went wrong"}],
            "clerk_trace_id": "trace_500"
        })))
        .up_to_n_times(2)
        .expect(2)
        .mount(&w.clerk)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .respond_with(clerk_deleted("user_a"))
        .with_priority(10)
        .expect(1)
        .mount(&w.clerk)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(clerk_user("user_a")))
        .expect(1)
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;

    // Act
    let err = w.rights.delete(&uid("user_a")).await.unwrap_err();

    // Assert: a typed Clerk error without the key; the Clerk user was
    // deleted last, so it still exists and still exports.
    let Error::Service { service, source } = &err else { panic!("{err:?}") };
    assert_eq!(*service, "clerk");
    let clerk = source.downcast_ref::<BackendError>().unwrap();
    assert_eq!(clerk.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(clerk.clerk_trace_id(), Some("trace_500"));
    assert!(clerk.is_retryable());
    assert!(!format!("{err:?} {err}").contains(CLERK_SECRET));
    let export = w.rights.export(&uid("user_a")).await.unwrap();
    assert!(export.profile.is_some());
    assert!(export.processing_records.is_empty() && export.stored_files == Some(Vec::new()));

    // Act: retry.
    let report = w.rights.delete(&uid("user_a")).await.unwrap();
    // Assert: only the Clerk user was left to delete.
    assert!(report.profile);
    assert!(report.files.is_empty() && report.folder.is_none() && report.records == 0);
}

#[tokio::test]
async fn an_imagekit_failure_stops_before_the_records_and_the_clerk_user() {
    // Arrange: every folder deletion fails with a 500 (the client retries).
    let w = world().await;
    w.emu.inject(Fault::status(500).on(FaultRoute::PathPrefix("/v1/folder".into())).times(100));
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .respond_with(clerk_deleted("user_a"))
        .expect(1)
        .mount(&w.clerk)
        .await;
    catch_all(&w.clerk).await;

    // Act
    let err = w.rights.delete(&uid("user_a")).await.unwrap_err();

    // Assert: nothing else was touched.
    let Error::Service { service, source } = &err else { panic!("{err:?}") };
    assert_eq!(*service, "imagekit");
    let ik = source.downcast_ref::<pixmize::imagekit::Error>().unwrap();
    assert_eq!(ik.status().map(|s| s.as_u16()), Some(500));
    assert!(!format!("{err:?} {err}").contains(w.emu.private_key()));
    assert_eq!(w.router.records().records_for("user_a").unwrap().len(), 2);
    assert_eq!(w.emu.files().len(), 5);
    assert!(w.clerk.received_requests().await.unwrap().is_empty(), "Clerk not called");

    // Act: ImageKit recovers; retry.
    w.emu.clear_faults();
    let report = w.rights.delete(&uid("user_a")).await.unwrap();
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.records, 2);
    assert!(report.profile);
    assert_eq!(w.emu.files().len(), 3);
}

#[tokio::test]
async fn without_imagekit_only_clerk_and_the_records() {
    let clerk = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .respond_with(clerk_deleted("user_a"))
        .expect(1)
        .mount(&clerk)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(clerk_user("user_a")))
        .expect(1)
        .mount(&clerk)
        .await;
    catch_all(&clerk).await;
    let dir = tempfile::tempdir().unwrap();
    let sink = Arc::new(JsonLinesSink::new(dir.path().join("records.jsonl")));
    let router = Hybrid::builder().records(sink.clone()).build();
    run_jobs(&router, Some("user_a"), 3).await;
    run_jobs(&router, Some("user_b"), 1).await;
    let rights = AccountRights::new(clerk_client(&clerk), sink.clone());

    let export = rights.export(&uid("user_a")).await.unwrap();
    assert_eq!(export.stored_files, None);
    assert_eq!(export.processing_records.len(), 3);
    let report = rights.delete(&uid("user_a")).await.unwrap();
    assert_eq!(
        (report.files.len(), report.folder, report.records, report.profile),
        (0, None, 3, true)
    );
    assert!(sink.records_for("user_a").unwrap().is_empty());
    assert_eq!(sink.records_for("user_b").unwrap().len(), 1);
}

#[tokio::test]
async fn a_torn_record_line_stops_neither_export_nor_delete() {
    // Arrange: real records, then a crash mid-write (a line cut short, without its end) and a
    // line edited by hand, then more records.
    let clerk = MockServer::start().await;
    for user in ["user_a", "user_b"] {
        Mock::given(method("GET"))
            .and(path(format!("/v1/users/{user}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(clerk_user(user)))
            .mount(&clerk)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v1/users/{user}")))
            .respond_with(clerk_deleted(user))
            .expect(1)
            .mount(&clerk)
            .await;
    }
    catch_all(&clerk).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.jsonl");
    let sink = Arc::new(JsonLinesSink::new(&file));
    let router = Hybrid::builder().records(sink.clone()).build();
    run_jobs(&router, Some("user_a"), 2).await;
    run_jobs(&router, Some("user_b"), 1).await;
    let text = std::fs::read_to_string(&file).unwrap();
    let a_line = text.lines().next().unwrap();
    let b_line = text.lines().nth(2).unwrap();
    let cut = |line: &str| line[..line.find("\"location\"").unwrap()].to_owned();
    let mut text = text.clone();
    text.push_str(&format!("{}\nedited by hand\n{}", cut(b_line), cut(a_line)));
    std::fs::write(&file, text).unwrap();
    run_jobs(&router, Some("user_a"), 1).await;
    run_jobs(&router, Some("user_b"), 1).await;
    let rights = AccountRights::new(clerk_client(&clerk), sink.clone());

    // Act + Assert: the export skips what does not parse.
    let export = rights.export(&uid("user_a")).await.unwrap();
    assert_eq!(export.processing_records.len(), 3);
    assert_eq!(rights.export(&uid("user_b")).await.unwrap().processing_records.len(), 2);

    // Deleting user_a deletes their records and their torn line, and keeps the rest as it was.
    let report = rights.delete(&uid("user_a")).await.unwrap();
    assert_eq!(report.records, 4, "3 records and the torn line");
    let left = std::fs::read_to_string(&file).unwrap();
    assert!(!left.contains("user_a"), "{left}");
    assert_eq!(left.lines().filter(|l| *l == "edited by hand").count(), 1, "{left}");
    assert!(left.lines().any(|l| l == cut(b_line)), "user_b's torn line is kept: {left}");
    assert_eq!(sink.records_for("user_b").unwrap().len(), 2);

    let report = rights.delete(&uid("user_b")).await.unwrap();
    assert_eq!(report.records, 3, "2 records and the torn line");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "edited by hand\n");
}

#[tokio::test]
async fn a_record_failure_is_typed_and_keeps_the_clerk_user() {
    struct Broken;
    impl RecordSink for Broken {
        fn record(&self, _: &pixmize::ProcessingRecord) -> Result<(), pixmize::BoxError> {
            Ok(())
        }
        fn records_for(
            &self,
            _: &str,
        ) -> Result<Vec<pixmize::ProcessingRecord>, pixmize::BoxError> {
            Err("disk gone".into())
        }
        fn delete_for(&self, _: &str) -> Result<usize, pixmize::BoxError> {
            Err("disk gone".into())
        }
    }
    let clerk = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_a"))
        .respond_with(ResponseTemplate::new(200).set_body_json(clerk_user("user_a")))
        .mount(&clerk)
        .await;
    catch_all(&clerk).await; // a DELETE would answer 500 and fail differently
    let rights = AccountRights::new(clerk_client(&clerk), Arc::new(Broken));
    assert!(matches!(rights.export(&uid("user_a")).await, Err(Error::Record(_))));
    assert!(matches!(rights.delete(&uid("user_a")).await, Err(Error::Record(_))));
    let deletes = clerk.received_requests().await.unwrap();
    assert!(deletes.iter().all(|r| r.method.as_str() != "DELETE"), "Clerk user kept");
}

#[tokio::test]
async fn folders_match_the_cloud_processor_and_a_custom_base() {
    let clerk = MockServer::start().await;
    let emu = Emulator::start().await.unwrap();
    let ik = imagekit_client(&emu);
    let rights =
        AccountRights::new(clerk_client(&clerk), Arc::new(MemorySink::new())).imagekit(ik.clone());
    let cloud = ImageKitCloud::new(ik.clone()).unwrap();
    let user = uid("user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
    assert_eq!(rights.folder_for(&user), cloud.folder_for(Some(&user)));

    // A custom base: only that folder is deleted.
    let rights = rights.folder_base("/uploads/");
    upload(&ik, "/uploads/user_a", "x.png").await;
    upload(&ik, "/pixmize-tmp/user_a", "y.png").await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_a"))
        .respond_with(clerk_not_found())
        .mount(&clerk)
        .await;
    let report = rights.delete(&uid("user_a")).await.unwrap();
    assert_eq!(report.folder.as_deref(), Some("/uploads/user_a"));
    assert_eq!(report.files.len(), 1);
    assert!(!report.profile);
    let left: Vec<_> = emu.files().into_iter().map(|f| f.file_path).collect();
    assert_eq!(left.len(), 1);
    assert!(left[0].starts_with("/pixmize-tmp/user_a/"), "{left:?}");
}

#[tokio::test]
async fn debug_output_hides_the_keys() {
    let w = world().await;
    let shown = format!("{:?}", w.rights);
    assert!(shown.contains("AccountRights"), "{shown}");
    assert!(!shown.contains(CLERK_SECRET), "{shown}");
    assert!(!shown.contains(w.emu.private_key()), "{shown}");
}
