//! Exact request shapes (method, path, auth header, query, JSON bodies,
//! multipart field names) against wiremock, and how answers are read.

mod support;

use futures_util::TryStreamExt as _;
use pixmize_imagekit::search::Field;
use pixmize_imagekit::{
    Asset, Error, Extension, FieldSchema, FieldType, FileSource, FileUpdate, JobStatus, ListQuery,
    ListType, PostTransformation, RemoveAiTags, ResponseField, Sort, UploadRequest,
    UploadTransformation,
};
use serde_json::json;
use support::{BASIC, multipart_names, multipart_value, wired};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A catch-all that fails loudly, naming the request nothing matched.
async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(|r: &Request| {
            ResponseTemplate::new(500)
                .set_body_json(json!({"message": format!("unmatched {} {}", r.method, r.url)}))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn file_json(id: &str) -> serde_json::Value {
    json!({"type": "file", "fileId": id, "name": "a.jpg", "filePath": "/a.jpg", "url": "u", "fileType": "image",
           "width": 10, "height": 20, "size": 30, "versionInfo": {"id": "v1", "name": "Version 1"}})
}

#[tokio::test]
async fn upload_sends_every_field_as_multipart() {
    // Arrange
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .and(header("authorization", BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fileId": "f1", "name": "cat.jpg",
            "filePath": "/pets/cat.jpg", "url": "https://ik/pets/cat.jpg", "thumbnailUrl": "t", "height": 48,
            "width": 64, "size": 3, "fileType": "image", "versionInfo": {"id": "v1", "name": "Version 1"},
            "AITags": null, "tags": ["a", "b"], "isPrivateFile": true, "brandNew": 1})))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let mut cm = serde_json::Map::new();
    cm.insert("brand".into(), json!("Nike"));
    let req = UploadRequest::new(FileSource::bytes(vec![1, 2, 3]), "cat.jpg")
        .use_unique_file_name(false)
        .tags(["a", "b"])
        .folder("/pets")
        .is_private_file(true)
        .is_published(true)
        .custom_coordinates("1,2,3,4")
        .response_fields([ResponseField::Tags, ResponseField::IsPrivateFile])
        .extensions([Extension::remove_bg(json!({})), Extension::auto_tagging(false, 80, 5)])
        .webhook_url("https://example.com/hook")
        .overwrite_file(true)
        .overwrite_ai_tags(false)
        .overwrite_tags(false)
        .overwrite_custom_metadata(true)
        .custom_metadata(cm)
        .transformation(
            UploadTransformation::pre("w-300")
                .then(PostTransformation::thumbnail(Some("h-100".into()))),
        )
        .checks(r#""file.size" < "1mb""#)
        .description("a cat");

    // Act
    let file = ik.upload(req).await.unwrap();

    // Assert
    assert_eq!(file.file_id, "f1");
    assert_eq!(file.tags, ["a", "b"]);
    assert!(file.ai_tags.is_empty());
    assert!(file.extra.contains_key("brandNew"));
    let got = &server.received_requests().await.unwrap()[0];
    assert!(
        got.headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert_eq!(
        multipart_names(&got.body),
        [
            "file",
            "fileName",
            "useUniqueFileName",
            "tags",
            "folder",
            "isPrivateFile",
            "isPublished",
            "customCoordinates",
            "responseFields",
            "extensions",
            "webhookUrl",
            "overwriteFile",
            "overwriteAITags",
            "overwriteTags",
            "overwriteCustomMetadata",
            "customMetadata",
            "transformation",
            "checks",
            "description",
        ]
    );
    let v = |k| multipart_value(&got.body, k).unwrap();
    assert_eq!(v("fileName"), "cat.jpg");
    assert_eq!(v("useUniqueFileName"), "false");
    assert_eq!(v("tags"), "a,b");
    assert_eq!(v("responseFields"), "tags,isPrivateFile");
    assert_eq!(v("overwriteAITags"), "false");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&v("extensions")).unwrap(),
        json!([{"name": "remove-bg", "options": {}}, {"name": "google-auto-tagging", "minConfidence": 80, "maxTags": 5}])
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&v("customMetadata")).unwrap(),
        json!({"brand": "Nike"})
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&v("transformation")).unwrap(),
        json!({"pre": "w-300", "post": [{"type": "thumbnail", "value": "h-100"}]})
    );
    let body = String::from_utf8_lossy(&got.body);
    assert!(body.contains("name=\"file\"; filename=\"cat.jpg\""), "{body}");
}

#[tokio::test]
async fn default_upload_names_the_file_uniquely_and_refuses_overwrites() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fileId": "f1"})))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    ik.upload(UploadRequest::new(FileSource::base64("AQID"), "my cat.jpg")).await.unwrap();
    let got = &server.received_requests().await.unwrap()[0];
    let name = multipart_value(&got.body, "fileName").unwrap();
    assert!(name.starts_with("my_cat_") && name.ends_with(".jpg") && name.len() == 21, "{name}");
    assert_eq!(multipart_value(&got.body, "useUniqueFileName").as_deref(), Some("false"));
    assert_eq!(multipart_value(&got.body, "overwriteFile").as_deref(), Some("false"));
    // base64 goes as a text field, without a file name.
    assert_eq!(multipart_value(&got.body, "file").as_deref(), Some("AQID"));
    assert!(!String::from_utf8_lossy(&got.body).contains("filename="));
}

#[tokio::test]
async fn client_side_auth_replaces_basic_auth() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/files/upload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"fileId": "f1"})))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let params = ik.auth_params().unwrap();
    let req = UploadRequest::new(FileSource::url("https://example.com/a.jpg"), "a.jpg")
        .client_auth(params.clone());
    ik.upload(req).await.unwrap();
    let got = &server.received_requests().await.unwrap()[0];
    assert!(got.headers.get("authorization").is_none());
    let v = |k| multipart_value(&got.body, k).unwrap();
    assert_eq!(v("publicKey"), "public_test_key");
    assert_eq!(v("signature"), params.signature);
    assert_eq!(v("expire"), params.expire.to_string());
    assert_eq!(v("token"), params.token);
    assert_eq!(v("file"), "https://example.com/a.jpg");
}

#[tokio::test]
async fn media_api_request_shapes() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let ok = |v: serde_json::Value| ResponseTemplate::new(200).set_body_json(v);
    let given =
        |m: &str, p: &str| Mock::given(method(m)).and(path(p)).and(header("authorization", BASIC));
    let mounts: Vec<Mock> = vec![
        given("GET", "/v1/files/f1/details").respond_with(ok(file_json("f1"))),
        given("PATCH", "/v1/files/f1/details")
            .and(body_json(json!({"tags": null, "customMetadata": {"brand": null}, "removeAITags": ["cat"], "description": "d"})))
            .respond_with(ok(file_json("f1"))),
        given("PATCH", "/v1/files/f2/details")
            .and(body_json(json!({"publish": {"isPublished": false, "includeFileVersions": true}})))
            .respond_with(ok(file_json("f2"))),
        given("DELETE", "/v1/files/f1").respond_with(ResponseTemplate::new(204)),
        given("POST", "/v1/files/copy")
            .and(body_json(json!({"sourceFilePath": "/a.jpg", "destinationPath": "/b/", "includeFileVersions": true})))
            .respond_with(ResponseTemplate::new(204)),
        given("POST", "/v1/files/move")
            .and(body_json(json!({"sourceFilePath": "/a.jpg", "destinationPath": "/b/"})))
            .respond_with(ResponseTemplate::new(204)),
        given("PUT", "/v1/files/rename")
            .and(body_json(json!({"filePath": "/a.jpg", "newFileName": "b.jpg", "purgeCache": true})))
            .respond_with(ok(json!({"purgeRequestId": "p1"}))),
        given("GET", "/v1/files/f1/versions").respond_with(ok(json!([file_json("f1")]))),
        given("GET", "/v1/files/f1/versions/v1").respond_with(ok(file_json("f1"))),
        given("DELETE", "/v1/files/f1/versions/v0").respond_with(ResponseTemplate::new(204)),
        given("PUT", "/v1/files/f1/versions/v0/restore").respond_with(ok(file_json("f1"))),
        given("GET", "/v1/files/f1/metadata")
            .respond_with(ok(json!({"height": 1, "width": 2, "format": "jpg", "pHash": "abc", "exif": {}}))),
        given("GET", "/v1/metadata")
            .and(query_param("url", "https://ik.imagekit.io/demo/a.jpg"))
            .respond_with(ok(json!({"height": 3}))),
        given("POST", "/v1/files/addTags")
            .and(body_json(json!({"fileIds": ["f1", "f2"], "tags": ["x"]})))
            .respond_with(ok(json!({"successfullyUpdatedFileIds": ["f1", "f2"]}))),
        given("POST", "/v1/files/removeTags")
            .and(body_json(json!({"fileIds": ["f1"], "tags": ["x"]})))
            .respond_with(ResponseTemplate::new(207).set_body_json(json!({"successfullyUpdatedFileIds": [],
                "errors": [{"fileId": "f1", "error": "nope"}]}))),
        given("POST", "/v1/files/removeAITags")
            .and(body_json(json!({"fileIds": ["f1"], "AITags": ["cat"]})))
            .respond_with(ok(json!({"successfullyUpdatedFileIds": ["f1"]}))),
        given("POST", "/v1/files/purge")
            .and(body_json(json!({"url": "https://ik.imagekit.io/demo/a.jpg"})))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"requestId": "r1"}))),
        given("GET", "/v1/files/purge/r1").respond_with(ok(json!({"status": "Completed"}))),
        given("POST", "/v1/folder")
            .and(body_json(json!({"folderName": "new", "parentFolderPath": "/a"})))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({}))),
        given("DELETE", "/v1/folder")
            .and(body_json(json!({"folderPath": "/a/new"})))
            .respond_with(ResponseTemplate::new(204)),
        given("POST", "/v1/bulkJobs/copyFolder")
            .and(body_json(json!({"sourceFolderPath": "/a", "destinationPath": "/b", "includeVersions": false})))
            .respond_with(ok(json!({"jobId": "j1"}))),
        given("POST", "/v1/bulkJobs/moveFolder")
            .and(body_json(json!({"sourceFolderPath": "/a", "destinationPath": "/b"})))
            .respond_with(ok(json!({"jobId": "j2"}))),
        given("POST", "/v1/bulkJobs/renameFolder")
            .and(body_json(json!({"folderPath": "/a", "newFolderName": "c", "purgeCache": false})))
            .respond_with(ok(json!({"jobId": "j3"}))),
        given("GET", "/v1/bulkJobs/j1")
            .respond_with(ok(json!({"jobId": "j1", "type": "COPY_FOLDER", "status": "Pending"}))),
        given("GET", "/v1/customMetadataFields")
            .and(query_param("includeDeleted", "true"))
            .and(query_param("folderPath", "/a"))
            .respond_with(ok(json!([{"id": "c1", "name": "brand", "label": "Brand", "schema": {"type": "Text", "maxLength": 10}}]))),
        given("POST", "/v1/customMetadataFields")
            .and(body_json(json!({"name": "price", "label": "Price", "schema": {"type": "Number", "minValue": 0}})))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "c2", "name": "price", "label": "Price",
                "schema": {"type": "Number", "minValue": 0}}))),
        given("PATCH", "/v1/customMetadataFields/c2")
            .and(body_json(json!({"label": "Cost", "schema": {"minValue": 1}})))
            .respond_with(ok(json!({"id": "c2", "name": "price", "label": "Cost", "schema": {"type": "Number", "minValue": 1}}))),
        given("DELETE", "/v1/customMetadataFields/c2").respond_with(ResponseTemplate::new(204)),
        given("GET", "/v1/accounts/usage")
            .and(query_param("startDate", "2024-01-01"))
            .and(query_param("endDate", "2024-01-31"))
            .respond_with(ok(json!({"bandwidthBytes": 5, "mediaLibraryStorageBytes": 6}))),
        given("GET", "/v1/accounts/origins")
            .respond_with(ok(json!([{"id": "o1"}]))),
    ];
    for m in mounts {
        m.expect(1).mount(&server).await;
    }
    let (ik, _) = wired(&server.uri());

    assert_eq!(ik.file_details("f1").await.unwrap().width, Some(10));
    let update = FileUpdate::new()
        .clear_tags()
        .custom_metadata("brand", serde_json::Value::Null)
        .remove_ai_tags(RemoveAiTags::Some(vec!["cat".into()]))
        .description("d");
    ik.update_file("f1", &update).await.unwrap();
    ik.publish_file("f2", false, true).await.unwrap();
    ik.delete_file("f1").await.unwrap();
    ik.copy_file("/a.jpg", "/b/", true).await.unwrap();
    ik.move_file("/a.jpg", "/b/").await.unwrap();
    let r = ik.rename_file("/a.jpg", "b.jpg", true).await.unwrap();
    assert_eq!(r.purge_request_id.unwrap(), "p1");
    assert_eq!(ik.file_versions("f1").await.unwrap().len(), 1);
    assert_eq!(ik.file_version("f1", "v1").await.unwrap().version_info.unwrap().id, "v1");
    ik.delete_file_version("f1", "v0").await.unwrap();
    ik.restore_file_version("f1", "v0").await.unwrap();
    assert_eq!(ik.file_metadata("f1").await.unwrap().p_hash.as_deref(), Some("abc"));
    assert_eq!(
        ik.remote_metadata("https://ik.imagekit.io/demo/a.jpg").await.unwrap().height,
        Some(3)
    );
    assert!(!ik.add_tags(&["f1", "f2"], &["x"]).await.unwrap().partial);
    let partial = ik.remove_tags(&["f1"], &["x"]).await.unwrap();
    assert!(partial.partial);
    assert_eq!(partial.errors[0].error, "nope");
    ik.remove_ai_tags(&["f1"], &["cat"]).await.unwrap();
    let rid = ik.purge_cache("https://ik.imagekit.io/demo/a.jpg").await.unwrap();
    assert_eq!(ik.purge_status(&rid).await.unwrap(), JobStatus::Completed);
    ik.create_folder("new", "/a").await.unwrap();
    ik.delete_folder("/a/new").await.unwrap();
    let j = ik.copy_folder("/a", "/b", false).await.unwrap();
    assert_eq!(j, "j1");
    assert_eq!(ik.move_folder("/a", "/b").await.unwrap(), "j2");
    assert_eq!(ik.rename_folder("/a", "c", false).await.unwrap(), "j3");
    let job = ik.bulk_job_status(&j).await.unwrap();
    assert_eq!(job.status, Some(JobStatus::Pending));
    let fields = ik.list_custom_metadata_fields(true, Some("/a")).await.unwrap();
    assert_eq!(fields[0].schema.kind, Some(FieldType::Text));
    assert_eq!(fields[0].schema.max_length, Some(10));
    let mut schema = FieldSchema::new(FieldType::Number);
    schema.min_value = Some(json!(0));
    let f = ik.create_custom_metadata_field("price", "Price", &schema).await.unwrap();
    let mut new_schema = FieldSchema::new(FieldType::Number);
    new_schema.min_value = Some(json!(1));
    let f = ik.update_custom_metadata_field(&f.id, Some("Cost"), Some(&new_schema)).await.unwrap();
    assert_eq!(f.label, "Cost");
    ik.delete_custom_metadata_field("c2").await.unwrap();
    assert_eq!(ik.usage("2024-01-01", "2024-01-31").await.unwrap().bandwidth_bytes, Some(5));
    let origins =
        ik.request_json(http::Method::GET, "v1/accounts/origins", &[], None).await.unwrap();
    assert_eq!(origins[0]["id"], "o1");
    // `expect(1)` on every mock is checked when the server drops.
}

#[tokio::test]
async fn list_query_parameters_and_typed_entries() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/files"))
        .and(query_param("type", "all"))
        .and(query_param("sort", "DESC_SIZE"))
        .and(query_param("path", "/pets"))
        .and(query_param("searchQuery", r#"size < "1mb" AND tags IN ["a", "b"]"#))
        .and(query_param("fileType", "image"))
        .and(query_param("limit", "2"))
        .and(query_param("skip", "4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([file_json("f1"),
            {"type": "folder", "folderId": "d1", "name": "x", "folderPath": "/pets/x"}])))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let q = ListQuery::new()
        .kind(ListType::All)
        .sort(Sort::DescSize)
        .path("/pets")
        .search(Field::size().lt("1mb").and(Field::tags().is_in(["a", "b"])))
        .file_type(pixmize_imagekit::FileTypeFilter::Image)
        .limit(2)
        .skip(4);
    let page = ik.list_files(&q).await.unwrap();
    assert!(matches!(&page[0], Asset::File(f) if f.file_id == "f1"));
    assert!(matches!(&page[1], Asset::Folder(d) if d.folder_path == "/pets/x"));
}

#[tokio::test]
async fn list_all_pages_with_skip_until_a_short_page() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    for (skip, n) in [(0, 2), (2, 2), (4, 1)] {
        let items: Vec<_> = (0..n).map(|i| file_json(&format!("f{}", skip + i))).collect();
        Mock::given(method("GET"))
            .and(path("/v1/files"))
            .and(query_param("limit", "2"))
            .and(query_param("skip", skip.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(items))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (ik, _) = wired(&server.uri());
    let all: Vec<Asset> = ik.list_all(ListQuery::new().limit(2)).try_collect().await.unwrap();
    let ids: Vec<_> = all.iter().map(|a| a.as_file().unwrap().file_id.to_string()).collect();
    assert_eq!(ids, ["f0", "f1", "f2", "f3", "f4"]);
}

#[tokio::test]
async fn bulk_delete_partial_and_missing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/files/batch/deleteByFileIds"))
        .and(body_json(json!({"fileIds": ["f1", "f2"]})))
        .respond_with(
            ResponseTemplate::new(207).set_body_json(json!({"successfullyDeletedFileIds": ["f1"],
            "errors": [{"fileId": "f2", "error": "locked"}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/files/batch/deleteByFileIds"))
        .and(body_json(json!({"fileIds": ["zz"]})))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-ik-requestId", "req-404")
                .set_body_json(json!({"message": "The requested file(s) does not exist.", "help": "h", "missingFileIds": ["zz"]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let r = ik.delete_files(["f1", "f2"]).await.unwrap();
    assert!(r.partial);
    assert_eq!(r.successfully_deleted_file_ids, ["f1"]);
    assert_eq!(r.errors[0].file_id, "f2");
    let e = ik.delete_files(["zz"]).await.unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.request_id(), Some("req-404"));
    let api = e.api().unwrap();
    assert_eq!(api.missing_file_ids(), ["zz"]);
    assert_eq!(api.help.as_deref(), Some("h"));
    assert_eq!(api.attempts, 1);
    assert_eq!(
        e.to_string(),
        "ImageKit delete_files returned 404 Not Found: The requested file(s) does not exist."
    );
}

#[tokio::test]
async fn undecodable_success_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ik-requestId", "r9")
                .set_body_string("<html>"),
        )
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    let e = ik.file_details("f1").await.unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert_eq!(e.request_id(), Some("r9"));
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn account_resources_use_the_right_methods() {
    use pixmize_imagekit::AccountResource as R;
    let server = MockServer::start().await;
    catch_all(&server).await;
    let obj = || ResponseTemplate::new(200).set_body_json(json!({"id": "x1"}));
    for (prefix, update) in [
        ("/v1/saved-extensions", "PATCH"),
        ("/v1/accounts/origins", "PUT"),
        ("/v1/accounts/url-endpoints", "PUT"),
        ("/v1/named-transformations", "PATCH"),
    ] {
        let item = format!("{prefix}/x1");
        for (m, p, r) in [
            (
                "GET",
                prefix.to_owned(),
                ResponseTemplate::new(200).set_body_json(json!([{"id": "x1"}])),
            ),
            ("POST", prefix.to_owned(), obj()),
            ("GET", item.clone(), obj()),
            (update, item.clone(), obj()),
            ("DELETE", item.clone(), ResponseTemplate::new(204)),
        ] {
            Mock::given(method(m))
                .and(path(p))
                .and(header("authorization", BASIC))
                .respond_with(r)
                .expect(1)
                .mount(&server)
                .await;
        }
    }
    let (ik, _) = wired(&server.uri());
    for kind in [R::SavedExtensions, R::Origins, R::UrlEndpoints, R::NamedTransformations] {
        assert_eq!(ik.list_resources(kind).await.unwrap().len(), 1);
        assert_eq!(ik.create_resource(kind, json!({"name": "n"})).await.unwrap()["id"], "x1");
        ik.get_resource(kind, "x1").await.unwrap();
        ik.update_resource(kind, "x1", json!({"name": "m"})).await.unwrap();
        ik.delete_resource(kind, "x1").await.unwrap();
        assert!(matches!(
            ik.create_resource(kind, json!([1])).await,
            Err(Error::InvalidArgument { .. })
        ));
    }
}

#[tokio::test]
async fn per_call_timeout_and_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/files/f1/details"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, sleeper) = wired(&server.uri());
    let once = ik.with_retry_policy(pixmize_imagekit::RetryPolicy::none());
    assert_eq!(once.file_details("f1").await.unwrap_err().api().unwrap().attempts, 1);
    assert!(sleeper.sleeps().is_empty());
    // The original client keeps its policy.
    assert!(format!("{ik:?}").contains("max_retries: 2"));
    let quick = ik.with_timeout(std::time::Duration::from_millis(50));
    assert!(format!("{quick:?}").contains("50ms"));
}

/// A field without `schema`, or a schema without `type`, is read (with no
/// type) instead of failing the whole list.
#[tokio::test]
async fn custom_metadata_fields_without_schema_are_listed() {
    // Arrange
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/customMetadataFields"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "c1", "name": "brand", "label": "Brand"},
            {"id": "c2", "name": "price", "label": "Price", "schema": {"minValue": 1}},
            {"id": "c3", "name": "sku", "label": "SKU", "schema": {"type": "Text"}}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let (ik, _) = wired(&server.uri());
    // Act
    let fields = ik.list_custom_metadata_fields(false, None).await.unwrap();
    // Assert
    let kinds: Vec<Option<&FieldType>> = fields.iter().map(|f| f.schema.kind.as_ref()).collect();
    assert_eq!(kinds, [None, None, Some(&FieldType::Text)]);
    assert_eq!(fields[1].schema.min_value, Some(json!(1)));
    assert_eq!(fields[0].schema, FieldSchema::default());
}
