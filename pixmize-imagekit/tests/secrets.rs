//! No secret (private key, its Basic-auth form, webhook secret) appears in
//! any `Debug` output or error message.

mod support;

use std::error::Error as _;
use std::sync::Arc;

use pixmize_imagekit::{
    Error, FileSource, ImageKit, ImageKitProcessor, ListQuery, RecordingSleeper, UploadRequest,
    WebhookVerifier,
};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PRIVATE: &str = "private_SuperSecret123";
const WEBHOOK: &str = "whsec_AnotherSecret456";

/// Every way the secrets could leak.
fn leaks(text: &str) -> bool {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{PRIVATE}:"));
    ["SuperSecret123", "AnotherSecret456", basic.as_str()].iter().any(|s| text.contains(s))
}

/// Display, Debug and the whole source chain.
fn all_text(e: &Error) -> String {
    let mut out = format!("{e}\n{e:?}\n");
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(&format!("{s}\n{s:?}\n"));
        src = s.source();
    }
    out
}

fn client(uri: &str) -> ImageKit {
    ImageKit::builder()
        .public_key("public_visible")
        .private_key(PRIVATE)
        .url_endpoint(format!("{uri}/cdn/"))
        .upload_base_url(uri)
        .api_base_url(uri)
        .sleeper(Arc::new(RecordingSleeper::new()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn debug_output_hides_secrets() {
    let builder =
        ImageKit::builder().private_key(PRIVATE).url_endpoint("https://ik.imagekit.io/demo");
    let builder_debug = format!("{builder:?}");
    let ik = builder.build().unwrap();
    let p = ImageKitProcessor::new(ik.clone()).unwrap();
    let v = WebhookVerifier::new(WEBHOOK).unwrap();
    let params = ik.auth_params().unwrap();
    for text in [
        builder_debug,
        format!("{ik:?}"),
        format!("{p:?}"),
        format!("{v:?}"),
        format!("{params:?}"),
    ] {
        assert!(!leaks(&text), "{text}");
        assert!(!text.is_empty());
    }
    assert!(format!("{ik:?}").contains("<redacted>"));
    // URLs never carry the key.
    let url = ik.url("a.jpg").signed(true).build().unwrap();
    assert!(!leaks(&url));
}

#[tokio::test]
async fn error_messages_hide_secrets() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"message": "Your request does not contain private API key.", "help": "h"}),
        ))
        .mount(&server)
        .await;
    let ik = client(&server.uri());
    let mut errors = vec![
        ik.file_details("f1").await.unwrap_err(),
        ik.list_files(&ListQuery::new()).await.unwrap_err(),
        ik.upload(UploadRequest::new(FileSource::bytes(vec![1]), "a.jpg")).await.unwrap_err(),
        ik.upload(UploadRequest::new(FileSource::bytes(vec![1]), "")).await.unwrap_err(),
        ik.url("").build().unwrap_err(),
        ik.auth_params_with(None, Some(1)).unwrap_err(),
    ];
    // Transport errors (nothing listens there).
    let dead = client("http://127.0.0.1:9");
    errors.push(dead.file_details("f1").await.unwrap_err());
    // Processor errors.
    let p = ImageKitProcessor::new(ik.clone()).unwrap();
    errors.push(
        p.process_detailed(pixmize_core::Job::new(vec![1, 2, 3], "w-10".parse().unwrap()))
            .await
            .unwrap_err(),
    );
    // Webhook errors.
    let v = WebhookVerifier::new(WEBHOOK).unwrap();
    errors.push(Error::from(v.verify_legacy("t=1,v1=00", b"{}").unwrap_err()));
    for e in &errors {
        let text = all_text(e);
        assert!(!leaks(&text), "{text}");
    }
    // And they are errors with some content.
    assert!(errors.iter().all(|e| !e.to_string().is_empty()));
    // The requests did carry the key, in the Authorization header only.
    let got = server.received_requests().await.unwrap();
    assert!(got.iter().all(|r| !leaks(r.url.as_str())));
    assert!(
        got.iter()
            .all(|r| r.headers.get("authorization").is_some_and(|v| leaks(v.to_str().unwrap())))
    );
}

#[cfg(feature = "emulator")]
#[tokio::test]
async fn emulator_handle_hides_its_key() {
    let emu = pixmize_imagekit::emulator::Emulator::builder()
        .private_key(PRIVATE)
        .webhook_secret(WEBHOOK)
        .spawn()
        .await
        .unwrap();
    assert!(!leaks(&format!("{emu:?}")));
    let ik = emu.client().unwrap();
    ik.list_files(&ListQuery::new()).await.unwrap();
    assert!(!leaks(&format!("{:?}", emu.requests())));
}
