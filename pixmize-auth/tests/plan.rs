//! Entitlements from verified v2 claims, and the quota counter behind a
//! trait object, as the hybrid router uses them.

mod support;

use std::sync::Arc;

use pixmize_auth::{
    EntitlementError, Entitlements, MemoryQuota, PlanTable, QuotaCounter, SessionClaims,
    SessionVerifier,
};
use serde_json::json;
use support::{ISSUER, claims_with, key_a, now};

fn table() -> PlanTable {
    PlanTable::default()
        .with_plan("pro", Entitlements::new(true, 100, 2_000))
        .with_plan("studio", Entitlements::new(true, 250, 10_000))
        .with_feature("huge_images", Entitlements::new(false, 400, 0))
}

async fn verified(changes: serde_json::Value) -> SessionClaims {
    let v = SessionVerifier::builder().jwt_key(key_a().public_pem).issuer(ISSUER).build().unwrap();
    v.verify_at(&key_a().sign(&claims_with(changes)), now()).await.unwrap()
}

#[tokio::test]
async fn plans_and_features_from_verified_claims() {
    let t = table();
    let cases = [
        (json!({}), Entitlements::FREE),
        (json!({"v": 2, "pla": "u:free"}), Entitlements::FREE),
        (json!({"v": 2, "pla": "u:pro"}), Entitlements::new(true, 100, 2_000)),
        (json!({"v": 2, "pla": "o:studio"}), Entitlements::new(true, 250, 10_000)),
        (
            json!({"v": 2, "pla": "u:pro", "fea": "u:huge_images"}),
            Entitlements::new(true, 400, 2_000),
        ),
        (json!({"v": 2, "pla": "u:enterprise_unknown"}), Entitlements::FREE),
        (json!({"v": 2, "pla": "u:pro", "sts": "pending"}), Entitlements::FREE),
    ];
    for (changes, want) in cases {
        let claims = verified(changes.clone()).await;
        assert_eq!(t.entitlements(Some(&claims)), want, "{changes}");
    }
    assert_eq!(t.entitlements(None), Entitlements::ANONYMOUS);
}

#[tokio::test]
async fn router_flow_checks_size_then_quota() {
    let t = table();
    let claims = verified(json!({"v": 2, "pla": "u:pro"})).await;
    let ent = t.entitlements(Some(&claims));
    let quota: Arc<dyn QuotaCounter> = Arc::new(MemoryQuota::new());

    // A 24 MP image is allowed; a 120 MP one is not.
    assert!(ent.allows_cloud(6_000 * 4_000).is_ok());
    assert!(matches!(
        ent.allows_cloud(12_000 * 10_000),
        Err(EntitlementError::TooLarge { megapixels: 120, max: 100 })
    ));

    let left = quota.try_consume(&claims.sub, 1_999, ent.monthly_cloud_quota, now()).await.unwrap();
    assert_eq!(left.remaining, 1);
    quota.try_consume(&claims.sub, 1, ent.monthly_cloud_quota, now()).await.unwrap();
    let exceeded =
        quota.try_consume(&claims.sub, 1, ent.monthly_cloud_quota, now()).await.unwrap_err();
    assert_eq!((exceeded.used, exceeded.limit), (2_000, 2_000));
    // A failed cloud job gives its unit back.
    quota.refund(&claims.sub, 1, now()).await;
    assert!(quota.try_consume(&claims.sub, 1, ent.monthly_cloud_quota, now()).await.is_ok());
}

#[tokio::test]
async fn concurrent_consumers_never_exceed_the_limit() {
    let quota = Arc::new(MemoryQuota::new());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let quota = Arc::clone(&quota);
        tasks.spawn(async move { quota.try_consume("user_1", 1, 37, now()).await.is_ok() });
    }
    let mut granted = 0;
    while let Some(ok) = tasks.join_next().await {
        granted += usize::from(ok.unwrap());
    }
    assert_eq!(granted, 37);
    assert_eq!(quota.used("user_1", now()).await, 37);
}

#[test]
fn plan_table_round_trips_through_json() {
    let t = table();
    let text = serde_json::to_string(&t).unwrap();
    let back: PlanTable = serde_json::from_str(&text).unwrap();
    assert_eq!(back, t);
}
