//! The Backend API client against wiremock: paths, headers, bodies,
//! paging, 429 with Retry-After, typed errors, and a hidden secret key.

use std::time::Duration;

use pixmize_auth::{BackendClient, BackendError, JsonErrorKind, MetadataUpdate, UserQuery};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = "sk_test_backend_secret_value";

fn client(server: &MockServer) -> BackendClient {
    BackendClient::builder()
        .secret_key(SECRET)
        .base_url(format!("{}/v1", server.uri()))
        .retry_backoff(Duration::from_millis(1))
        .build()
        .unwrap()
}

fn user_json(id: &str) -> serde_json::Value {
    json!({"id": id, "object": "user", "first_name": "Ada", "public_metadata": {"plan": "pro"},
           "private_metadata": {}, "unsafe_metadata": {}, "email_addresses": [],
           "created_at": 1_700_000_000_000_i64, "updated_at": 1_700_000_000_000_i64})
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

#[tokio::test]
async fn get_user_sends_secret_and_version() {
    // Arrange
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_1"))
        .and(header("authorization", format!("Bearer {SECRET}").as_str()))
        .and(header("clerk-api-version", pixmize_auth::DEFAULT_API_VERSION))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json("user_1")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    // Act
    let user = client(&server).get_user("user_1").await.unwrap();
    // Assert
    assert_eq!(user.id, "user_1");
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.public_metadata["plan"], "pro");
}

#[tokio::test]
async fn list_users_pages_and_filters() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(query_param("limit", "2"))
        .and(query_param("offset", "0"))
        .and(query_param("email_address", "a@example.com"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([user_json("user_1"), user_json("user_2")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users"))
        .and(query_param("offset", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([user_json("user_3")])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/count"))
        .and(query_param("email_address", "a@example.com"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"object": "total_count", "total_count": 3})),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;

    let clerk = client(&server);
    let mut query = UserQuery::page(2, 0);
    query.email_address.push("a@example.com".into());
    let first = clerk.list_users(&query).await.unwrap();
    assert_eq!(first.users.len(), 2);
    let next = first.next.expect("a full page has a next page");
    assert_eq!(next.offset, Some(2));
    let second = clerk.list_users(&next).await.unwrap();
    assert_eq!(second.users[0].id, "user_3");
    assert!(second.next.is_none());
    assert_eq!(clerk.count_users(&query).await.unwrap(), 3);

    let err = clerk.list_users(&UserQuery::page(501, 0)).await.unwrap_err();
    assert!(matches!(err, BackendError::InvalidArgument { .. }));
}

#[tokio::test]
async fn metadata_merge_is_patch_and_replace_is_put() {
    let server = MockServer::start().await;
    let update = MetadataUpdate::public(json!({"plan": "pro", "old": null}));
    for verb in ["PATCH", "PUT"] {
        Mock::given(method(verb))
            .and(path("/v1/users/user_1/metadata"))
            .and(body_json(json!({"public_metadata": {"plan": "pro", "old": null}})))
            .respond_with(ResponseTemplate::new(200).set_body_json(user_json("user_1")))
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let clerk = client(&server);
    clerk.merge_metadata("user_1", &update).await.unwrap();
    clerk.replace_metadata("user_1", &update).await.unwrap();
}

#[tokio::test]
async fn delete_user_and_billing_subscription() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"object": "user", "id": "user_1", "deleted": true})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_1/billing/subscription"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "commerce_subscription", "id": "csub_1", "status": "active",
            "subscription_items": [
                {"id": "csubi_1", "status": "active", "plan": {"id": "cplan_1", "slug": "pro", "name": "Pro"}, "plan_period": "month"},
                {"id": "csubi_0", "status": "ended", "plan": {"id": "cplan_0", "slug": "free"}},
            ],
            "a_new_field": 1,
        })))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let clerk = client(&server);
    let deleted = clerk.delete_user("user_1").await.unwrap();
    assert!(deleted.deleted);
    let sub = clerk.user_billing_subscription("user_1").await.unwrap();
    assert_eq!(sub.active_plan_slugs(), ["pro"]);
    assert_eq!(sub.extra["a_new_field"], 1);
}

#[tokio::test]
async fn rate_limit_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/user_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json("user_1")))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client(&server).get_user("user_1").await.unwrap().id, "user_1");
}

#[tokio::test]
async fn a_long_retry_after_is_returned_not_waited() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_json(json!({"errors": [{"code": "too_many_requests", "message": "slow down"}], "clerk_trace_id": "trace_429"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let err = client(&server).get_user("user_1").await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let BackendError::RateLimited { retry_after, clerk_trace_id, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(30)));
    assert_eq!(clerk_trace_id.as_deref(), Some("trace_429"));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn api_errors_are_typed_with_trace_id() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "errors": [{"code": "resource_not_found", "message": "not found", "long_message": "User not found", "meta": {}}],
            "clerk_trace_id": "trace_404",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let clerk = client(&server);
    let err = clerk.get_user("user_missing").await.unwrap_err();
    assert!(err.is_not_found() && !err.is_retryable());
    assert_eq!(err.clerk_trace_id(), Some("trace_404"));
    assert_eq!(err.errors()[0].code, "resource_not_found");
    assert_eq!(err.errors()[0].long_message.as_deref(), Some("User not found"));
    // The secret never shows.
    let text = format!("{err} {err:?} {clerk:?}");
    assert!(!text.contains("backend_secret_value"), "{text}");
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_with_cf_ray() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).insert_header("cf-ray", "ray_1"))
        .expect(3)
        .mount(&server)
        .await;
    let err = client(&server).get_user("user_1").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(err.clerk_trace_id(), Some("ray_1"));
}

#[tokio::test]
async fn ids_cannot_escape_their_path_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/users/..%2Fjwks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_json("x")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    client(&server).get_user("../jwks").await.unwrap();
    let err = client(&server).get_user("").await.unwrap_err();
    assert!(matches!(err, BackendError::InvalidArgument { .. }));
}

#[tokio::test]
async fn dot_ids_are_rejected_before_any_request() {
    // Arrange: any request at all is a failure (`.` and `..` would be
    // dropped from the path, turning `get_user("..")` into `GET /v1/users`
    // and `delete_user("..")` into `DELETE /v1/users`).
    let server = MockServer::start().await;
    Mock::given(|_: &Request| true)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(0)
        .mount(&server)
        .await;
    let clerk = client(&server);
    let update = MetadataUpdate::public(json!({"plan": "pro"}));
    for id in ["", ".", "..", ".\t.", ".\n", "user_\r1"] {
        // Act
        let errors = [
            clerk.get_user(id).await.map(drop).unwrap_err(),
            clerk.delete_user(id).await.map(drop).unwrap_err(),
            clerk.merge_metadata(id, &update).await.map(drop).unwrap_err(),
            clerk.replace_metadata(id, &update).await.map(drop).unwrap_err(),
            clerk.user_billing_subscription(id).await.map(drop).unwrap_err(),
        ];
        // Assert
        for err in errors {
            assert!(matches!(err, BackendError::InvalidArgument { .. }), "{id:?}: {err:?}");
            assert!(!err.is_retryable(), "{id:?}");
        }
    }
    let received = server.received_requests().await.unwrap_or_default();
    assert!(received.is_empty(), "requests were sent: {received:?}");
}

#[tokio::test]
async fn decode_errors_never_quote_the_body() {
    // Arrange: an email where a timestamp belongs.
    let server = MockServer::start().await;
    let mut user = user_json("user_1");
    user["created_at"] = json!("ada@example.com");
    Mock::given(method("GET"))
        .and(path("/v1/users/user_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/users/count"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"total": "ada@example.com"}"#))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let clerk = client(&server);
    // Act
    let wrong_type = clerk.get_user("user_1").await.unwrap_err();
    let missing = clerk.count_users(&UserQuery::default()).await.unwrap_err();
    // Assert
    let BackendError::Decode { endpoint: "get_user", source } = &wrong_type else {
        panic!("{wrong_type:?}")
    };
    assert_eq!(source.kind, JsonErrorKind::InvalidType);
    assert!(source.line > 0 && source.column > 0, "{source:?}");
    let BackendError::Decode { source, .. } = &missing else { panic!("{missing:?}") };
    assert_eq!(source.kind, JsonErrorKind::MissingField);
    assert_eq!(source.field.as_deref(), Some("total_count"));
    assert_eq!(
        source.to_string(),
        format!("missing field `total_count` at line 1, column {}", source.column)
    );
    for err in [&wrong_type, &missing] {
        let mut text = String::new();
        let mut cause: Option<&dyn std::error::Error> = Some(err);
        while let Some(e) = cause {
            text.push_str(&format!("{e} {e:?}\n"));
            cause = e.source();
        }
        assert!(!text.contains("ada@") && !text.contains("example.com"), "{text}");
    }
}

#[test]
fn building_requires_a_secret_key() {
    assert!(BackendClient::builder().build().is_err());
    assert!(BackendClient::builder().secret_key("pk_test_x").build().is_err());
    let err =
        BackendClient::builder().secret_key("sk_test_x").base_url("not a url").build().unwrap_err();
    assert!(err.to_string().contains("api_url"), "{err}");
}

#[tokio::test]
async fn writes_are_retried_because_they_are_idempotent() {
    // Arrange: each write fails once with a 503 (the change may or may not
    // have been made), then succeeds. PATCH (deep merge of fixed values),
    // PUT and DELETE are all repeated with the same body.
    let server = MockServer::start().await;
    let update = MetadataUpdate::public(json!({"plan": "pro"}));
    for (verb, route) in
        [("PATCH", "/v1/users/user_1/metadata"), ("PUT", "/v1/users/user_1/metadata")]
    {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .with_priority(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method(verb))
            .and(path(route))
            .and(body_json(json!({"public_metadata": {"plan": "pro"}})))
            .respond_with(ResponseTemplate::new(200).set_body_json(user_json("user_1")))
            .with_priority(2)
            .expect(1)
            .mount(&server)
            .await;
    }
    // A DELETE whose first answer is lost (503) and whose retry finds the
    // user gone: the documented 404.
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/users/user_1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "errors": [{"code": "resource_not_found", "message": "not found"}],
        })))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let clerk = client(&server);

    // Act + Assert
    clerk.merge_metadata("user_1", &update).await.unwrap();
    clerk.replace_metadata("user_1", &update).await.unwrap();
    let err = clerk.delete_user("user_1").await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}
