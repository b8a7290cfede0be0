//! Every endpoint against the emulator, through the public client.
#![cfg(feature = "emulator")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt as _;
use pixmize_core::codec::{self, ImageFormat, Limits};
use pixmize_imagekit::emulator::{Emulator, EmulatorHandle};
use pixmize_imagekit::search::Field;
use pixmize_imagekit::{
    Asset, Error, FieldSchema, FieldType, FileSource, FileUpdate, ImageKit, JobStatus, ListQuery,
    ListType, ManualClock, RecordingSleeper, ResponseField, Sort, TransformationPosition,
    UploadRequest, UploadTransformation,
};
use serde_json::json;
use support::{jpeg, png};

async fn setup() -> (EmulatorHandle, ImageKit) {
    let emu = Emulator::start().await.unwrap();
    // No real waits between retries.
    let ik = emu.client_builder().sleeper(Arc::new(RecordingSleeper::new())).build().unwrap();
    (emu, ik)
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

fn dims(bytes: &[u8]) -> (u32, u32) {
    let i = codec::probe(bytes, &Limits::default()).unwrap();
    (i.width, i.height)
}

#[tokio::test]
async fn upload_fetch_transform_delete_round_trip() {
    let (emu, ik) = setup().await;
    let file = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(64, 48)), "red.png")
                .folder("/pets")
                .tags(["red", "test"])
                .response_fields([ResponseField::Tags, ResponseField::IsPrivateFile]),
        )
        .await
        .unwrap();
    assert!(
        file.file_path.starts_with("/pets/red_") && file.file_path.ends_with(".png"),
        "{}",
        file.file_path
    );
    assert_eq!(
        (file.width, file.height, file.size),
        (Some(64), Some(48), Some(png(64, 48).len() as u64))
    );
    assert_eq!(file.tags, ["red", "test"]);
    assert_eq!(file.is_private_file, Some(false));
    assert_eq!(file.url, format!("{}{}", emu.url_endpoint().trim_end_matches('/'), file.file_path));

    // The original, then transformed in the query and in the path.
    let orig = get(&file.url).await;
    assert_eq!(orig.headers()["content-type"], "image/png");
    assert_eq!(orig.bytes().await.unwrap().to_vec(), png(64, 48));
    let url = ik.url(&file.file_path).raw_transformation("w-32,f-jpg").build().unwrap();
    let small = get(&url).await.bytes().await.unwrap();
    assert_eq!(codec::detect(&small), Some(ImageFormat::Jpeg));
    assert_eq!(dims(&small), (32, 24));
    let t: pixmize_core::Transformation = "w-20,h-20,c-force:rt-90".parse().unwrap();
    let url = ik
        .url(&file.file_path)
        .transformation(&t)
        .position(TransformationPosition::Path)
        .build()
        .unwrap();
    assert!(url.contains("/cdn/tr:w-20,h-20,c-force:rt-90/pets/"), "{url}");
    assert_eq!(dims(&get(&url).await.bytes().await.unwrap()), (20, 20));

    ik.delete_file(&file.file_id).await.unwrap();
    assert!(emu.files().is_empty());
    assert!(ik.file_details(&file.file_id).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn ai_parameters_are_dropped_and_geometry_kept() {
    let (_emu, ik) = setup().await;
    let f = ik.upload(UploadRequest::new(FileSource::bytes(jpeg(120, 80)), "p.jpg")).await.unwrap();
    let url = ik
        .url(&f.file_path)
        .raw_transformation("w-60,h-60,fo-face,e-bgremove:e-upscale")
        .build()
        .unwrap();
    let r = get(&url).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-emulator-dropped"], "fo,e-bgremove,e-upscale");
    assert_eq!(dims(&r.bytes().await.unwrap()), (60, 60));
    let bad = ik.url(&f.file_path).raw_transformation("w-abc").build().unwrap();
    assert_eq!(get(&bad).await.status(), 400);
}

#[tokio::test]
async fn signed_urls_private_files_and_expiry() {
    let clock = ManualClock::at_unix(1_700_000_000);
    let emu = Emulator::builder().clock(Arc::new(clock.clone())).spawn().await.unwrap();
    let ik = emu.client_builder().clock(Arc::new(clock.clone())).build().unwrap();
    let f = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(16, 16)), "secret.png").is_private_file(true),
        )
        .await
        .unwrap();
    // Private: unsigned is refused.
    assert_eq!(get(&ik.url(&f.file_path).build().unwrap()).await.status(), 401);
    let signed = ik
        .url(&f.file_path)
        .raw_transformation("w-8")
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    assert_eq!(get(&signed).await.status(), 200);
    let forever = ik.url(&f.file_path).query("v", "2").signed(true).build().unwrap();
    assert!(!forever.contains("ik-t="));
    assert_eq!(get(&forever).await.status(), 200);
    // A tampered signature or path is refused.
    let tampered = signed.replace("w-8", "w-9");
    assert_eq!(get(&tampered).await.status(), 401);
    let mut bad_sig = signed.clone();
    bad_sig.pop();
    bad_sig.push('0');
    if bad_sig == signed {
        bad_sig.pop();
        bad_sig.push('1');
    }
    assert_eq!(get(&bad_sig).await.status(), 401);
    // Expired.
    clock.advance(Duration::from_secs(61));
    let r = get(&signed).await;
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("expired"));
    // A key other than the emulator's fails.
    let other = ImageKit::builder()
        .private_key("private_other")
        .url_endpoint(emu.url_endpoint())
        .build()
        .unwrap();
    assert_eq!(get(&other.url(&f.file_path).signed(true).build().unwrap()).await.status(), 401);
}

#[tokio::test]
async fn non_ascii_paths_sign_and_serve() {
    let (_emu, ik) = setup().await;
    let f = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(8, 8)), "हिन्दी.png")
                .use_unique_file_name(false)
                .is_private_file(true),
        )
        .await
        .unwrap();
    assert_eq!(f.file_path, "/हिन्दी.png");
    let url = ik.url(&f.file_path).raw_transformation("w-4").signed(true).build().unwrap();
    assert!(url.contains("/cdn/%E0%A4%B9"), "{url}");
    assert_eq!(get(&url).await.status(), 200);
}

/// Text that a client percent-encodes on the wire (non-ASCII, `"`, `{`,
/// `}`, `'`) is signed in that form, so the emulator accepts the URL in
/// both positions.
#[tokio::test]
async fn signed_urls_with_escaped_transformation_text_are_accepted() {
    let (_emu, ik) = setup().await;
    let f = ik
        .upload(UploadRequest::new(FileSource::bytes(png(16, 16)), "t.png").is_private_file(true))
        .await
        .unwrap();
    for position in [TransformationPosition::Query, TransformationPosition::Path] {
        for text in ["l-text,i-Imagekité,l-end", "l-text,i-\"It's\"%20{ok},l-end"] {
            let url = ik
                .url(&f.file_path)
                .raw_transformation("w-8")
                .raw_transformation(text)
                .position(position)
                .signed(true)
                .build()
                .unwrap();
            let r = get(&url).await;
            assert_eq!(r.status(), 200, "{url}");
            assert_eq!(dims(&r.bytes().await.unwrap()), (8, 8), "{url}");
        }
    }
}

#[tokio::test]
async fn auth_failures_look_like_imagekit() {
    let (emu, _) = setup().await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{}v1/files", emu.api_base())).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("x-ik-requestid"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["message"], "Your request does not contain private API key.");
    assert!(body["help"].as_str().unwrap().contains("support@imagekit.io"));
    let wrong = ImageKit::builder()
        .private_key("private_wrong")
        .api_base_url(emu.api_base())
        .build()
        .unwrap();
    let e = wrong.list_files(&ListQuery::new()).await.unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 403);
    assert_eq!(e.api().unwrap().message, "Your account cannot be authenticated.");
    assert!(e.request_id().is_some());
    // `Basic key` without the colon is accepted too (the OpenAPI spec allows it).
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(emu.private_key());
    let r = http
        .get(format!("{}v1/files", emu.api_base()))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn upload_sources_bytes_path_base64_url() {
    let (emu, ik) = setup().await;
    let data = png(40, 30);
    let dir = std::env::temp_dir().join(format!("pixmize-ik-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("from-disk.png");
    std::fs::write(&p, &data).unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let a = ik.upload(UploadRequest::new(FileSource::path(&p), "disk.png")).await.unwrap();
    let b =
        ik.upload(UploadRequest::new(FileSource::base64(b64.clone()), "b64.png")).await.unwrap();
    let c = ik
        .upload(UploadRequest::new(
            FileSource::base64(format!("data:image/png;base64,{b64}")),
            "uri.png",
        ))
        .await
        .unwrap();
    // A URL: the emulator fetches it (here, its own delivery URL).
    let d = ik.upload(UploadRequest::new(FileSource::url(a.url.clone()), "url.png")).await.unwrap();
    let file = tokio::fs::File::open(&p).await.unwrap();
    let e = ik
        .upload(UploadRequest::new(FileSource::reader(file, Some(data.len() as u64)), "reader.png"))
        .await
        .unwrap();
    for f in [&a, &b, &c, &d, &e] {
        assert_eq!(emu.file_bytes(f.file_id.as_str()).unwrap(), data, "{}", f.name);
        assert_eq!((f.width, f.height), (Some(40), Some(30)));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let bad = ik
        .upload(UploadRequest::new(FileSource::base64("!!not base64!!"), "x.png"))
        .await
        .unwrap_err();
    assert_eq!(bad.status().unwrap().as_u16(), 400);
    let missing = ik
        .upload(UploadRequest::new(FileSource::path("/nonexistent/file.png"), "x.png"))
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::Io(_)));
}

#[tokio::test]
async fn upload_options_naming_overwrite_and_versions() {
    let (emu, ik) = setup().await;
    let first = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(10, 10)), "fixed name!.png")
                .use_unique_file_name(false)
                .folder("a/b"),
        )
        .await
        .unwrap();
    assert_eq!(first.file_path, "/a/b/fixed_name_.png");
    // Overwrite (ImageKit's default) makes a new version of the same file.
    let second = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(20, 20)), "fixed name!.png")
                .use_unique_file_name(false)
                .folder("/a/b/"),
        )
        .await
        .unwrap();
    assert_eq!(second.file_id, first.file_id);
    assert_ne!(second.version_info.as_ref().unwrap().id, first.version_info.as_ref().unwrap().id);
    // overwriteFile=false refuses.
    let e = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(5, 5)), "fixed name!.png")
                .use_unique_file_name(false)
                .overwrite_file(false)
                .folder("/a/b"),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 400);
    assert!(e.api().unwrap().message.contains("already exists"));
    let versions = ik.file_versions(&first.file_id).await.unwrap();
    assert_eq!(versions.len(), 2);
    let old = versions.iter().find(|v| v.width == Some(10)).unwrap().version_info.clone().unwrap();
    let v = ik.file_version(&first.file_id, &old.id).await.unwrap();
    assert_eq!(v.kind.unwrap().as_str(), "file-version");
    let restored = ik.restore_file_version(&first.file_id, &old.id).await.unwrap();
    assert_eq!(restored.width, Some(10));
    ik.delete_file_version(&first.file_id, &old.id).await.unwrap();
    assert_eq!(emu.files()[0].versions, 2);
    let current = ik.file_details(&first.file_id).await.unwrap().version_info.unwrap().id;
    assert_eq!(
        ik.delete_file_version(&first.file_id, &current)
            .await
            .unwrap_err()
            .status()
            .unwrap()
            .as_u16(),
        400
    );
    // A pre-transformation is applied before storing.
    let pre = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(64, 48)), "pre.png")
                .transformation(UploadTransformation::pre("w-32")),
        )
        .await
        .unwrap();
    assert_eq!((pre.width, pre.height), (Some(32), Some(24)));
}

#[tokio::test]
async fn upload_field_validation() {
    let (emu, ik) = setup().await;
    // Custom metadata needs the field to exist.
    let mut cm = serde_json::Map::new();
    cm.insert("brand".into(), json!("Nike"));
    let e = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(4, 4)), "a.png").custom_metadata(cm.clone()),
        )
        .await
        .unwrap_err();
    assert!(e.api().unwrap().message.contains("brand"), "{e}");
    ik.create_custom_metadata_field("brand", "Brand", &FieldSchema::new(FieldType::Text))
        .await
        .unwrap();
    let ok = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(4, 4)), "a.png")
                .custom_metadata(cm)
                .response_fields([ResponseField::CustomMetadata]),
        )
        .await
        .unwrap();
    assert_eq!(ok.custom_metadata["brand"], "Nike");
    // Raw multipart requests with bad fields.
    let http = reqwest::Client::new();
    let send = |form: reqwest::multipart::Form| {
        http.post(format!("{}api/v1/files/upload", emu.upload_base()))
            .basic_auth(emu.private_key(), Some(""))
            .multipart(form)
            .send()
    };
    let part = || reqwest::multipart::Part::bytes(png(2, 2)).file_name("x.png");
    let cases = vec![
        (reqwest::multipart::Form::new().part("file", part()), "fileName"),
        (reqwest::multipart::Form::new().text("fileName", "x.png"), "file"),
        (
            reqwest::multipart::Form::new()
                .part("file", part())
                .text("fileName", "x")
                .text("isPrivateFile", "yes"),
            "isPrivateFile",
        ),
        (
            reqwest::multipart::Form::new()
                .part("file", part())
                .text("fileName", "x")
                .text("filename", "y"),
            "filename",
        ),
        (
            reqwest::multipart::Form::new()
                .part("file", part())
                .text("fileName", "x")
                .text("extensions", "{"),
            "extensions",
        ),
        (
            reqwest::multipart::Form::new()
                .part("file", part())
                .text("fileName", "x")
                .text("tags", "a%b"),
            "tags",
        ),
    ];
    for (form, field) in cases {
        let r = send(form).await.unwrap();
        assert_eq!(r.status(), 400, "{field}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(field), "{field}: {body}");
    }
    // Both auth kinds at once.
    let p = ik.auth_params().unwrap();
    let form = reqwest::multipart::Form::new()
        .part("file", part())
        .text("fileName", "x")
        .text("publicKey", emu.public_key().to_owned())
        .text("signature", p.signature)
        .text("expire", p.expire.to_string())
        .text("token", p.token);
    let r = send(form).await.unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["message"], "Your request contains both signature and basic auth parameter");
}

#[tokio::test]
async fn client_side_upload_with_auth_params() {
    let (emu, server) = setup().await;
    // The browser side: public key only.
    let browser = ImageKit::builder()
        .public_key(emu.public_key())
        .upload_base_url(emu.upload_base())
        .build()
        .unwrap();
    let params = server.auth_params().unwrap();
    let f = browser
        .upload(
            UploadRequest::new(FileSource::bytes(png(6, 6)), "c.png").client_auth(params.clone()),
        )
        .await
        .unwrap();
    assert_eq!(f.width, Some(6));
    // The token is single-use.
    let e = browser
        .upload(UploadRequest::new(FileSource::bytes(png(6, 6)), "c.png").client_auth(params))
        .await
        .unwrap_err();
    assert!(e.api().unwrap().message.contains("used"), "{e}");
    // A forged signature fails.
    let mut forged = server.auth_params().unwrap();
    forged.signature = "0".repeat(40);
    let e = browser
        .upload(UploadRequest::new(FileSource::bytes(png(6, 6)), "c.png").client_auth(forged))
        .await
        .unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 400);
    assert_eq!(emu.files().len(), 1);
}

#[tokio::test]
async fn list_search_sort_and_paginate() {
    let (_emu, ik) = setup().await;
    for (i, (w, tags)) in
        [(10, vec!["a"]), (20, vec!["b"]), (30, vec!["a", "b"]), (40, vec![]), (50, vec!["c"])]
            .into_iter()
            .enumerate()
    {
        let mut req = UploadRequest::new(FileSource::bytes(png(w, 10)), format!("img{i}.png"))
            .use_unique_file_name(false)
            .folder("/gallery");
        if !tags.is_empty() {
            req = req.tags(tags);
        }
        ik.upload(req).await.unwrap();
    }
    ik.upload(
        UploadRequest::new(FileSource::bytes(png(5, 5)), "elsewhere.png")
            .use_unique_file_name(false)
            .folder("/other"),
    )
    .await
    .unwrap();
    let names = |v: Vec<Asset>| -> Vec<String> {
        v.iter().filter_map(|a| a.as_file()).map(|f| f.name.clone()).collect()
    };

    let q = ListQuery::new()
        .path("/gallery")
        .search(Field::width().gt(15).and(Field::tags().is_in(["a", "c"])));
    assert_eq!(names(ik.list_files(&q).await.unwrap()), ["img2.png", "img4.png"]);
    let q = ListQuery::new().path("/gallery").sort(Sort::DescWidth).limit(2);
    assert_eq!(names(ik.list_files(&q).await.unwrap()), ["img4.png", "img3.png"]);
    let q = ListQuery::new()
        .search(Field::name().starts_with("img").or(Field::name().eq("elsewhere.png")));
    assert_eq!(ik.list_files(&q).await.unwrap().len(), 6);
    let q = ListQuery::new().search(
        Field::created_at().gt("1d").and(Field::format().eq("png")).and(Field::size().lt("1mb")),
    );
    assert_eq!(ik.list_files(&q).await.unwrap().len(), 6);
    let all: Vec<Asset> =
        ik.list_all(ListQuery::new().path("/gallery").limit(2)).try_collect().await.unwrap();
    assert_eq!(names(all), ["img0.png", "img1.png", "img2.png", "img3.png", "img4.png"]);
    let folders = ik.list_files(&ListQuery::new().kind(ListType::Folder)).await.unwrap();
    let paths: Vec<_> =
        folders.iter().filter_map(|a| a.as_folder()).map(|f| f.folder_path.clone()).collect();
    assert_eq!(paths, ["/gallery", "/other"]);
    let e = ik.list_files(&ListQuery::new().search("size <")).await.unwrap_err();
    assert!(e.api().unwrap().message.contains("searchQuery"), "{e}");
    // Hostile dates are a 400, not a panic in the emulator (which used to
    // hand `1e30` seconds to `Duration::from_secs_f64`).
    for bad in [
        r#"createdAt > "2024-01-01T00:00:1e30""#,
        r#"updatedAt < "99999999999999999999-01-01""#,
        r#"createdAt > "2024-01-01T9223372036854775807:00""#,
        r#"createdAt > "99999999999999999999d""#,
    ] {
        let e = ik.list_files(&ListQuery::new().search(bad)).await.unwrap_err();
        assert_eq!(e.status().unwrap().as_u16(), 400, "{bad}");
        assert!(e.api().unwrap().message.contains("invalid date"), "{bad}: {e}");
    }
    assert_eq!(ik.list_files(&ListQuery::new().path("/other")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn update_publish_tags_and_metadata() {
    let (emu, ik) = setup().await;
    let f = ik
        .upload(UploadRequest::new(FileSource::bytes(png(30, 20)), "m.png").tags(["x"]))
        .await
        .unwrap();
    let update =
        FileUpdate::new().tags(["y", "z"]).custom_coordinates("1,2,3,4").description("hello");
    let d = ik.update_file(&f.file_id, &update).await.unwrap();
    assert_eq!(d.tags, ["y", "z"]);
    assert_eq!(d.custom_coordinates.as_deref(), Some("1,2,3,4"));
    let d = ik.update_file(&f.file_id, &FileUpdate::new().clear_tags()).await.unwrap();
    assert!(d.tags.is_empty());
    let d = ik.publish_file(&f.file_id, false, false).await.unwrap();
    assert_eq!(d.is_published, Some(false));
    assert_eq!(get(&f.url).await.status(), 404, "drafts are not delivered");
    ik.publish_file(&f.file_id, true, false).await.unwrap();
    let id = f.file_id.as_str();
    let r = ik.add_tags(&[id, "missing"], &["t1", "t2"]).await.unwrap();
    assert!(r.partial);
    assert_eq!(r.errors[0].file_id, "missing");
    ik.remove_tags(&[id], &["t1"]).await.unwrap();
    ik.remove_ai_tags(&[id], &["cat"]).await.unwrap();
    assert_eq!(emu.files()[0].tags, ["t2"]);
    let m = ik.file_metadata(&f.file_id).await.unwrap();
    assert_eq!((m.width, m.height, m.format.as_deref()), (Some(30), Some(20), Some("png")));
    assert_eq!(m.p_hash.as_deref().map(str::len), Some(16));
    let m2 = ik.remote_metadata(&f.url).await.unwrap();
    assert_eq!(m2.p_hash, m.p_hash);
}

#[tokio::test]
async fn copy_move_rename_and_bulk_delete() {
    let (emu, ik) = setup().await;
    let f = ik
        .upload(
            UploadRequest::new(FileSource::bytes(png(8, 8)), "c.png")
                .use_unique_file_name(false)
                .folder("/src"),
        )
        .await
        .unwrap();
    ik.copy_file("/src/c.png", "/dst", false).await.unwrap();
    ik.move_file("/src/c.png", "/moved").await.unwrap();
    let r = ik.rename_file("/moved/c.png", "renamed.png", true).await.unwrap();
    assert!(r.purge_request_id.is_some());
    let mut paths: Vec<_> = emu.files().into_iter().map(|f| f.file_path).collect();
    paths.sort();
    assert_eq!(paths, ["/dst/c.png", "/moved/renamed.png"]);
    assert_eq!(
        ik.rename_file("/moved/renamed.png", "renamed.png", false)
            .await
            .unwrap_err()
            .status()
            .unwrap()
            .as_u16(),
        409
    );
    assert!(ik.move_file("/nope.png", "/x").await.unwrap_err().is_not_found());
    let ids: Vec<String> = emu.files().into_iter().map(|f| f.file_id).collect();
    let r = ik.delete_files([ids[0].as_str(), "ghost"]).await.unwrap();
    assert!(r.partial);
    assert_eq!(r.successfully_deleted_file_ids, [ids[0].as_str()]);
    let e = ik.delete_files(["ghost"]).await.unwrap_err();
    assert_eq!(e.api().unwrap().missing_file_ids(), ["ghost"]);
    assert_eq!(emu.files().len(), 1);
    let _ = f;
}

#[tokio::test]
async fn folders_and_bulk_jobs() {
    let (emu, ik) = setup().await;
    ik.create_folder("albums", "/").await.unwrap();
    ik.create_folder("2024", "/albums").await.unwrap();
    ik.upload(
        UploadRequest::new(FileSource::bytes(png(4, 4)), "a.png")
            .use_unique_file_name(false)
            .folder("/albums/2024"),
    )
    .await
    .unwrap();
    let job = ik.copy_folder("/albums/2024", "/backup", true).await.unwrap();
    let first = ik.bulk_job_status(&job).await.unwrap();
    assert_eq!(first.status, Some(JobStatus::Pending));
    let second = ik.bulk_job_status(&job).await.unwrap();
    assert_eq!(second.status, Some(JobStatus::Completed));
    assert_eq!(second.kind.unwrap().as_str(), "COPY_FOLDER");
    let job = ik.rename_folder("/backup/2024", "old", true).await.unwrap();
    assert!(ik.bulk_job_status(&job).await.unwrap().purge_request_id.is_some());
    let job = ik.move_folder("/backup/old", "/archive").await.unwrap();
    ik.bulk_job_status(&job).await.unwrap();
    let mut paths: Vec<_> = emu.files().into_iter().map(|f| f.file_path).collect();
    paths.sort();
    assert_eq!(paths, ["/albums/2024/a.png", "/archive/old/a.png"]);
    ik.delete_folder("/albums").await.unwrap();
    assert_eq!(emu.files().len(), 1);
    assert!(ik.delete_folder("/albums").await.unwrap_err().is_not_found());
    assert!(ik.copy_folder("/nope", "/x", false).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn purge_clears_the_delivery_cache() {
    let (_emu, ik) = setup().await;
    let f =
        ik.upload(UploadRequest::new(FileSource::bytes(png(12, 12)), "cached.png")).await.unwrap();
    let url = ik.url(&f.file_path).raw_transformation("w-6").build().unwrap();
    assert_eq!(get(&url).await.headers()["x-emulator-cache"], "MISS");
    assert_eq!(get(&url).await.headers()["x-emulator-cache"], "HIT");
    // A deleted file stays in the CDN cache until purged, as in ImageKit.
    ik.delete_file(&f.file_id).await.unwrap();
    assert_eq!(get(&url).await.status(), 200);
    let rid = ik.purge_cache(&url).await.unwrap();
    assert_eq!(ik.purge_status(&rid).await.unwrap(), JobStatus::Pending);
    assert_eq!(ik.purge_status(&rid).await.unwrap(), JobStatus::Completed);
    assert_eq!(get(&url).await.status(), 404);
    assert!(ik.purge_cache("https://elsewhere.example/x.png").await.is_err());
}

#[tokio::test]
async fn custom_metadata_fields_crud() {
    let (_emu, ik) = setup().await;
    let mut schema = FieldSchema::new(FieldType::SingleSelect);
    schema.select_options = Some(vec![json!("S"), json!("M")]);
    let f = ik.create_custom_metadata_field("size", "Size", &schema).await.unwrap();
    assert_eq!(f.schema.kind, Some(FieldType::SingleSelect));
    assert!(ik.create_custom_metadata_field("size", "Size 2", &schema).await.is_err());
    let mut upd = FieldSchema::new(FieldType::SingleSelect);
    upd.select_options = Some(vec![json!("S"), json!("M"), json!("L")]);
    let f2 =
        ik.update_custom_metadata_field(&f.id, Some("T-shirt size"), Some(&upd)).await.unwrap();
    assert_eq!(f2.label, "T-shirt size");
    assert_eq!(f2.schema.select_options.unwrap().len(), 3);
    ik.delete_custom_metadata_field(&f.id).await.unwrap();
    assert!(ik.list_custom_metadata_fields(false, None).await.unwrap().is_empty());
    assert_eq!(ik.list_custom_metadata_fields(true, None).await.unwrap().len(), 1);
    let usage = ik.usage("2024-01-01", "2024-01-31").await.unwrap();
    assert_eq!(usage.media_library_storage_bytes, Some(0));
}

#[tokio::test]
async fn request_log_records_shapes_without_secrets() {
    let (emu, ik) = setup().await;
    ik.upload(UploadRequest::new(FileSource::bytes(png(4, 4)), "log.png")).await.unwrap();
    ik.list_files(&ListQuery::new().limit(5)).await.unwrap();
    let log = emu.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].status),
        ("POST", "/api/v1/files/upload", 200)
    );
    assert!(log[0].body_size > png(4, 4).len());
    assert_eq!(log[0].header("authorization"), Some("<redacted>"));
    assert!(log[0].header("content-type").unwrap().starts_with("multipart/form-data"));
    assert_eq!((log[1].path.as_str(), log[1].query.as_deref()), ("/v1/files", Some("limit=5")));
    assert!(!format!("{log:?}").contains(emu.private_key()));
    assert!(!format!("{emu:?}").contains(emu.private_key()));
    emu.clear_requests();
    assert!(emu.requests().is_empty());
    emu.shutdown().await;
    assert!(ik.list_files(&ListQuery::new()).await.is_err());
}

#[tokio::test]
async fn webhooks_signed_by_the_emulator_verify() {
    let emu = Emulator::builder().webhook_secret("whsec_emulated").spawn().await.unwrap();
    let (headers, body) =
        emu.signed_webhook("file.created", json!({"fileId": "f1", "filePath": "/a.png"}));
    let v = pixmize_imagekit::WebhookVerifier::new(emu.webhook_secret()).unwrap();
    let e = v.verify(&headers, &body).unwrap();
    assert_eq!(e.event_type, pixmize_imagekit::EventType::FileCreated);
    assert!(
        pixmize_imagekit::WebhookVerifier::new("whsec_other")
            .unwrap()
            .verify(&headers, &body)
            .is_err()
    );
}

#[tokio::test]
async fn client_side_upload_with_a_v2_token() {
    let (emu, server) = setup().await;
    let browser = ImageKit::builder().upload_base_url(emu.upload_base()).build().unwrap();
    let req =
        || UploadRequest::new(FileSource::bytes(png(6, 6)), "v2.png").folder("/v2").tags(["a"]);
    let token = server.upload_token_v2(&req(), Duration::from_secs(600)).unwrap();
    let f = browser.upload(req().v2_token(token.clone())).await.unwrap();
    assert!(f.file_path.starts_with("/v2/v2_"), "{}", f.file_path);
    let log = emu.requests();
    assert_eq!(log[0].path, "/api/v2/files/upload");
    assert!(log[0].header("authorization").is_none());
    // Fields the token does not cover are refused.
    let other =
        UploadRequest::new(FileSource::bytes(png(6, 6)), "v2.png").folder("/elsewhere").tags(["a"]);
    let e = browser.upload(other.v2_token(token)).await.unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 400);
    assert!(e.api().unwrap().message.contains("match"), "{e}");
    // A token signed with another key is refused.
    let forger = ImageKit::builder()
        .public_key(emu.public_key())
        .private_key("private_forger")
        .build()
        .unwrap();
    let forged = forger.upload_token_v2(&req(), Duration::from_secs(600)).unwrap();
    assert_eq!(
        browser.upload(req().v2_token(forged)).await.unwrap_err().status().unwrap().as_u16(),
        401
    );
    assert_eq!(emu.files().len(), 1);
}

#[tokio::test]
async fn account_resources_and_named_transformations() {
    use pixmize_imagekit::AccountResource as R;
    let (_emu, ik) = setup().await;
    let t = ik
        .create_resource(
            R::NamedTransformations,
            json!({"name": "thumb", "transformation": "w-16,h-16,c-force"}),
        )
        .await
        .unwrap();
    let id = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["enabled"], true);
    assert!(
        ik.create_resource(
            R::NamedTransformations,
            json!({"name": "bad-name", "transformation": "w-1"})
        )
        .await
        .is_err()
    );
    let dup = ik
        .create_resource(R::NamedTransformations, json!({"name": "thumb", "transformation": "w-2"}))
        .await;
    assert_eq!(dup.unwrap_err().status().unwrap().as_u16(), 409);
    // `n-thumb` in a URL runs the named transformation, then the rest.
    let f = ik.upload(UploadRequest::new(FileSource::bytes(png(40, 30)), "n.png")).await.unwrap();
    let url = ik.url(&f.file_path).raw_transformation("n-thumb:rt-90").build().unwrap();
    assert_eq!(dims(&get(&url).await.bytes().await.unwrap()), (16, 16));
    ik.update_resource(R::NamedTransformations, &id, json!({"transformation": "w-8,h-4,c-force"}))
        .await
        .unwrap();
    let url2 = ik.url(&f.file_path).raw_transformation("n-thumb").build().unwrap();
    assert_eq!(dims(&get(&url2).await.bytes().await.unwrap()), (8, 4));
    ik.update_resource(R::NamedTransformations, &id, json!({"enabled": false})).await.unwrap();
    let url3 = ik.url(&f.file_path).raw_transformation("n-thumb,w-2").build().unwrap();
    assert_eq!(get(&url3).await.status(), 400);
    ik.delete_resource(R::NamedTransformations, &id).await.unwrap();
    assert!(ik.get_resource(R::NamedTransformations, &id).await.unwrap_err().is_not_found());

    // The other families: create, list, replace (PUT) or merge (PATCH).
    let o = ik
        .create_resource(
            R::Origins,
            json!({"type": "WEB_FOLDER", "name": "site", "baseUrl": "https://x"}),
        )
        .await
        .unwrap();
    let oid = o["id"].as_str().unwrap().to_owned();
    let replaced = ik
        .update_resource(R::Origins, &oid, json!({"type": "WEB_FOLDER", "name": "site2"}))
        .await
        .unwrap();
    assert!(replaced.get("baseUrl").is_none(), "PUT replaces");
    let e = ik
        .create_resource(R::UrlEndpoints, json!({"description": "d", "urlPrefix": "p"}))
        .await
        .unwrap();
    assert_eq!(ik.list_resources(R::UrlEndpoints).await.unwrap(), [e]);
    let s = ik
        .create_resource(
            R::SavedExtensions,
            json!({"name": "bg", "description": "x", "config": {"name": "remove-bg"}}),
        )
        .await
        .unwrap();
    let sid = s["id"].as_str().unwrap().to_owned();
    let merged =
        ik.update_resource(R::SavedExtensions, &sid, json!({"description": "y"})).await.unwrap();
    assert_eq!((merged["name"].as_str(), merged["description"].as_str()), (Some("bg"), Some("y")));
    assert!(ik.create_resource(R::SavedExtensions, json!({"name": "no-config"})).await.is_err());
}

#[tokio::test]
async fn large_files_stream_from_disk() {
    let (emu, ik) = setup().await;
    // 6 MB of non-image bytes, written to disk and streamed from there.
    let data: Vec<u8> =
        (0..6_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let p = std::env::temp_dir().join(format!("pixmize-ik-large-{}.bin", std::process::id()));
    std::fs::write(&p, &data).unwrap();
    let f = ik.upload(UploadRequest::new(FileSource::path(&p), "large.bin")).await.unwrap();
    std::fs::remove_file(&p).unwrap();
    assert_eq!(f.size, Some(6_000_000));
    assert_eq!(f.file_type.unwrap().as_str(), "non-image");
    assert_eq!(emu.file_bytes(f.file_id.as_str()).unwrap(), data);
    // Above the emulator's limit: refused.
    let small = Emulator::builder().max_upload_bytes(1000).spawn().await.unwrap();
    let e = small
        .client()
        .unwrap()
        .upload(UploadRequest::new(FileSource::bytes(vec![0u8; 2000]), "x.bin"))
        .await
        .unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 400);
    assert!(e.api().unwrap().message.contains("File size exceeds"), "{e}");
    // A body over twice the limit (and over 1 MiB) is not read into memory;
    // it used to be read as empty, answering "missing file" instead.
    let e = small
        .client()
        .unwrap()
        .upload(UploadRequest::new(FileSource::bytes(vec![7u8; 3 << 20]), "huge.bin"))
        .await
        .unwrap_err();
    assert_eq!(e.status().unwrap().as_u16(), 400, "{e}");
    assert!(e.api().unwrap().message.contains("File size exceeds"), "{e}");
    let log = small.requests();
    let last = log.last().unwrap();
    assert_eq!((last.status, last.body_size > 3 << 20), (400, true));
    assert!(small.files().is_empty());
    // Elsewhere than the upload API, a 413.
    let r = reqwest::Client::new()
        .post(format!("{}v1/files/addTags", small.api_base()))
        .body(vec![b' '; 3 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn lost_answers_never_duplicate_work() {
    use pixmize_imagekit::emulator::{Fault, FaultRoute};
    let (emu, ik) = setup().await;
    ik.upload(
        UploadRequest::new(FileSource::bytes(png(4, 4)), "a.png")
            .use_unique_file_name(false)
            .folder("/src"),
    )
    .await
    .unwrap();
    // A bulk copy is handled, then its answer is lost: no second job.
    emu.inject(Fault::status_after_handling(502).on(FaultRoute::PathPrefix("/v1/bulkJobs".into())));
    let e = ik.copy_folder("/src", "/dst", false).await.unwrap_err();
    assert_eq!((e.status().unwrap().as_u16(), e.api().unwrap().attempts), (502, 1));
    let copies: Vec<_> =
        emu.files().into_iter().filter(|f| f.file_path.starts_with("/dst/")).collect();
    assert_eq!(copies.len(), 1);
    assert_eq!(copies[0].versions, 1, "copied once, not twice (a second copy adds a version)");
    let posts = emu.requests().iter().filter(|r| r.path.starts_with("/v1/bulkJobs")).count();
    assert_eq!(posts, 1);

    // A folder creation whose answer is lost is retried and succeeds.
    emu.inject(Fault::status_after_handling(500).on(FaultRoute::PathPrefix("/v1/folder".into())));
    ik.create_folder("made", "/").await.unwrap();
    let folders = ik.list_files(&ListQuery::new().kind(ListType::Folder)).await.unwrap();
    assert!(folders.iter().filter_map(|a| a.as_folder()).any(|f| f.folder_path == "/made"));

    // A field creation whose answer is lost returns the field it made.
    emu.inject(
        Fault::status_after_handling(503)
            .on(FaultRoute::PathPrefix("/v1/customMetadataFields".into())),
    );
    let f = ik
        .create_custom_metadata_field("sku", "SKU", &FieldSchema::new(FieldType::Text))
        .await
        .unwrap();
    let all = ik.list_custom_metadata_fields(false, None).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id, f.id);

    // A delete whose answer is lost is retried and succeeds.
    let id = copies[0].file_id.clone();
    emu.inject(Fault::drop_after_handling().on(FaultRoute::PathPrefix("/v1/files/".into())));
    ik.delete_file(&id).await.unwrap();
    assert!(emu.files().iter().all(|f| f.file_id != id));
}

#[tokio::test]
async fn typed_account_resources() {
    use pixmize_imagekit::{NamedTransformation, Origin, OriginType, SavedExtension, UrlEndpoint};
    let (_emu, ik) = setup().await;
    let origin = ik
        .create_resource_typed(
            &Origin::new(OriginType::WebFolder, "site").with("baseUrl", "https://example.com"),
        )
        .await
        .unwrap();
    let oid = origin.id.clone().unwrap();
    assert_eq!(
        (origin.kind.clone(), origin.extra["baseUrl"].as_str()),
        (OriginType::WebFolder, Some("https://example.com"))
    );
    let mut endpoint = UrlEndpoint::new("products", "products");
    endpoint.origins = vec![oid.clone()];
    let endpoint = ik.create_resource_typed(&endpoint).await.unwrap();
    assert_eq!(
        ik.list_resources_typed::<UrlEndpoint>().await.unwrap(),
        std::slice::from_ref(&endpoint)
    );
    let eid = endpoint.id.clone().unwrap();
    let mut changed = endpoint.clone();
    changed.description = "all products".into();
    let updated = ik.update_resource_typed(&eid, &changed).await.unwrap();
    assert_eq!(
        (updated.description.as_str(), updated.origins.as_slice()),
        ("all products", [oid].as_slice())
    );
    let got: UrlEndpoint = ik.get_resource_typed(&eid).await.unwrap();
    assert_eq!(got, updated);

    let ext = ik
        .create_resource_typed(&SavedExtension::new(
            "bg",
            "remove it",
            json!({"name": "remove-bg"}),
        ))
        .await
        .unwrap();
    assert_eq!(ext.config["name"], "remove-bg");
    let named =
        ik.create_resource_typed(&NamedTransformation::new("thumb", "w-16,h-16")).await.unwrap();
    assert_eq!(named.enabled, Some(true));
    assert_eq!(ik.list_resources_typed::<NamedTransformation>().await.unwrap().len(), 1);
    assert_eq!(ik.list_resources_typed::<Origin>().await.unwrap().len(), 1);
}
