//! Against a real ImageKit account: `IMAGEKIT_PUBLIC_KEY`,
//! `IMAGEKIT_PRIVATE_KEY` and `IMAGEKIT_URL_ENDPOINT` must be set. Run with
//! `cargo test -p pixmize-imagekit --test live -- --ignored`. Everything it
//! uploads goes to `/pixmize-live-test/` and is deleted.

mod support;

use std::time::Duration;

use pixmize_core::{Job, Processor};
use pixmize_imagekit::{FileSource, ImageKit, ImageKitProcessor, ListQuery, UploadRequest};

#[tokio::test]
#[ignore = "needs a real ImageKit account (IMAGEKIT_* variables)"]
async fn live_round_trip() {
    let ik = ImageKit::from_env().expect("IMAGEKIT_* variables");
    let f = ik
        .upload(
            UploadRequest::new(FileSource::bytes(support::png(64, 48)), "live.png")
                .folder("/pixmize-live-test")
                .is_private_file(true),
        )
        .await
        .unwrap();
    assert_eq!((f.width, f.height), (Some(64), Some(48)));
    let listed = ik.list_files(&ListQuery::new().path("/pixmize-live-test")).await.unwrap();
    assert!(listed.iter().any(|a| a.as_file().is_some_and(|x| x.file_id == f.file_id)));
    let url = ik
        .url(&f.file_path)
        .raw_transformation("w-32")
        .expires_in(Duration::from_secs(120))
        .build()
        .unwrap();
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200);
    let unsigned = ik.url(&f.file_path).build().unwrap();
    assert_eq!(reqwest::get(&unsigned).await.unwrap().status(), 401);
    ik.delete_file(&f.file_id).await.unwrap();
    println!("rate limit: {:?}", ik.last_rate_limit());
}

#[tokio::test]
#[ignore = "needs a real ImageKit account (IMAGEKIT_* variables)"]
async fn live_processor() {
    let ik = ImageKit::from_env().expect("IMAGEKIT_* variables");
    let p = ImageKitProcessor::new(ik).unwrap();
    let out = p.process(Job::new(support::png(64, 48), "w-32".parse().unwrap())).await.unwrap();
    assert_eq!((out.width, out.height), (32, 24));
}
