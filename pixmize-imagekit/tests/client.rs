//! Client configuration and client-side upload authentication.

use std::sync::Arc;
use std::time::Duration;

use pixmize_imagekit::{Error, FileSource, ImageKit, ManualClock, UploadRequest};

fn client_at(secs: u64) -> ImageKit {
    ImageKit::builder()
        .public_key("public_test")
        .private_key("private_key_test")
        .clock(Arc::new(ManualClock::at_unix(secs)))
        .build()
        .unwrap()
}

#[test]
fn auth_params_vector_of_the_official_sdks() {
    // Research §3: Node, PHP and Go SDK tests.
    let ik = client_at(1_582_268_000);
    let p = ik.auth_params_with(Some("your_token"), Some(1_582_269_249)).unwrap();
    assert_eq!(p.signature, "e71bcd6031016b060d349d212e23e85c791decdd");
    assert_eq!((p.token.as_str(), p.expire), ("your_token", 1_582_269_249));
}

#[test]
fn auth_params_defaults_and_limits() {
    let ik = client_at(1_700_000_000);
    let p = ik.auth_params().unwrap();
    assert_eq!(p.expire, 1_700_000_000 + 1800);
    assert_eq!(p.token.len(), 36, "a UUID v4: {}", p.token);
    assert_ne!(ik.auth_params().unwrap().token, p.token);
    assert_eq!(p.signature.len(), 40);
    // An empty token or zero expiry gets the default, as the official SDKs.
    let d = ik.auth_params_with(Some(""), Some(0)).unwrap();
    assert_eq!(d.expire, 1_700_001_800);
    assert!(!d.token.is_empty());
    // At most one hour ahead, and not in the past.
    assert!(ik.auth_params_with(None, Some(1_700_003_600)).is_ok());
    for bad in [1_700_003_601, 1_699_999_999, 1_700_000_000] {
        assert!(
            matches!(ik.auth_params_with(None, Some(bad)), Err(Error::InvalidArgument { .. })),
            "{bad}"
        );
    }
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["expire"], 1_700_001_800);
}

#[test]
fn upload_token_v2_is_a_hs256_jwt() {
    let ik = ImageKit::builder()
        .public_key("public_test")
        .private_key("private_test")
        .clock(Arc::new(ManualClock::at_unix(1_700_000_000)))
        .build()
        .unwrap();
    let req = UploadRequest::new(FileSource::bytes(vec![1]), "a.jpg").folder("/x");
    // Expected token computed with Python's hmac and base64.
    assert_eq!(
        ik.upload_token_v2(&req, Duration::from_secs(600)).unwrap(),
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InB1YmxpY190ZXN0In0.eyJmaWxlTmFtZSI6ImEuanBnIiwiZm9sZGVyIjoiL3giLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDYwMH0.miS_cCJcT6CoQq3oZ4dHCYM9f4Q0w01aGt4I7oFfw60"
    );
    assert!(ik.upload_token_v2(&req, Duration::from_secs(3601)).is_err());
    let no_public = ImageKit::builder().private_key("private_test").build().unwrap();
    assert!(no_public.upload_token_v2(&req, Duration::from_secs(60)).is_err());
}

#[test]
fn builder_rejects_bad_configuration() {
    let cases: Vec<(pixmize_imagekit::ImageKitBuilder, &str)> = vec![
        (ImageKit::builder().private_key(""), "empty key"),
        (ImageKit::builder().private_key("a b"), "key with a space"),
        (ImageKit::builder().private_key("k").url_endpoint("ftp://x/"), "ftp endpoint"),
        (ImageKit::builder().private_key("k").api_base_url("not a url"), "bad API base"),
        (
            ImageKit::builder().private_key("k").upload_base_url("https://u:p@host/"),
            "credentials in URL",
        ),
        (ImageKit::builder().private_key("k").timeout(Duration::ZERO), "zero timeout"),
        (ImageKit::builder().public_key("p k"), "public key with a space"),
    ];
    for (b, what) in cases {
        assert!(matches!(b.build(), Err(Error::Config(_))), "{what}");
    }
    let ik = ImageKit::builder()
        .private_key("k")
        .url_endpoint("https://ik.imagekit.io/demo")
        .build()
        .unwrap();
    assert_eq!(ik.url_endpoint(), Some("https://ik.imagekit.io/demo/"));
    assert_eq!(ik.public_key(), None);
    assert!(ik.last_rate_limit().is_none());
}

#[tokio::test]
async fn calls_without_a_private_key_fail_before_sending() {
    let ik = ImageKit::builder()
        .public_key("public_test")
        .api_base_url("http://127.0.0.1:9/")
        .build()
        .unwrap();
    assert!(matches!(ik.file_details("abc").await, Err(Error::InvalidArgument { .. })));
    assert!(matches!(ik.auth_params(), Err(Error::InvalidArgument { .. })));
    // Empty ids are refused before sending.
    let ik =
        ImageKit::builder().private_key("k").api_base_url("http://127.0.0.1:9/").build().unwrap();
    assert!(matches!(ik.file_details("").await, Err(Error::InvalidArgument { .. })));
    assert!(matches!(
        ik.delete_files(Vec::<String>::new()).await,
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        ik.list_files(&pixmize_imagekit::ListQuery::new().limit(1001)).await,
        Err(Error::InvalidArgument { .. })
    ));
}

#[test]
fn upload_options_are_validated_before_sending() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ik = ImageKit::builder()
        .private_key("k")
        .upload_base_url("http://127.0.0.1:9/")
        .build()
        .unwrap();
    let f = || FileSource::bytes(vec![1, 2, 3]);
    let cases = vec![
        UploadRequest::new(f(), ""),
        UploadRequest::new(f(), "a/b.jpg"),
        UploadRequest::new(f(), "a.jpg").tags(["ok", "bad,tag"]),
        UploadRequest::new(f(), "a.jpg").tags(["100%"]),
        UploadRequest::new(f(), "a.jpg").tags([&"x".repeat(501)]),
        UploadRequest::new(f(), "a.jpg").custom_coordinates("1,2,3"),
        UploadRequest::new(f(), "a.jpg").webhook_url("ftp://x"),
        UploadRequest::new(f(), "a.jpg").folder("/a".repeat(51)),
        UploadRequest::new(FileSource::url("file:///etc/passwd"), "a.jpg"),
    ];
    for req in cases {
        let what = format!("{req:?}");
        let r = rt.block_on(ik.upload(req));
        assert!(matches!(r, Err(Error::InvalidArgument { .. })), "{what}: {r:?}");
    }
}
