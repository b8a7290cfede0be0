//! End-to-end tests of the hybrid router against the offline ImageKit emulator: same output on
//! the device and in the cloud, nothing sent unless the policy, the plan and the user allow it,
//! quota, metadata stripping, upload folders and processing records.
#![cfg(all(feature = "router", feature = "imagekit"))]

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pixmize::auth::{Entitlements, MemoryQuota, QuotaCounter};
use pixmize::engine::codec::{self, DecodeOptions, ImageFormat};
use pixmize::engine::{Job, LocalProcessor, Processed, Processor, Support, Transformation};
use pixmize::policy::{Allow, ConsentSnapshot, ConsentStatus, Decision, Policy, Query};
use pixmize::{
    CloudProcessor, Context, Denied, Error, Hybrid, IMAGE_PROCESSING, ImageKitCloud, JsonLinesSink,
    MemorySink, Outcome, Preference, ProcessingRecord, RecordSink, Routed, Rule, UserId,
    user_folder,
};
use pixmize_imagekit::emulator::{Emulator, EmulatorHandle, Fault, FaultRoute, LoggedRequest};
use pixmize_imagekit::{ImageKit, RecordingSleeper};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

type TestResult = Result<(), pixmize::BoxError>;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg");
/// The clause of the Pixmize policy that makes cloud processing the user's choice.
const CLOUD_CLAUSE: &str = "activity-cloud_processing";
const USER: &str = "user_2e2eTestUser";
/// A plan with cloud processing, 25 MP and 50 operations a month.
const CLOUD_PLAN: Entitlements = Entitlements::new(true, 25, 50);

fn sample() -> Vec<u8> {
    std::fs::read(SAMPLE).expect("the committed sample image")
}

fn t(s: &str) -> Transformation {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A fixed instant (2026-09-21), so quota months are known.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_790_000_000)
}

fn consent_given() -> ConsentSnapshot {
    let mut c = ConsentSnapshot::new();
    c.give(Policy::pixmize(), "cloud_processing");
    c
}

fn consent_withdrawn() -> ConsentSnapshot {
    let mut c = consent_given();
    c.withdraw("cloud_processing");
    c
}

/// A signed-in user who allowed cloud processing and prefers it.
fn cloud_user(user: &str) -> Context {
    Context::user(user, CLOUD_PLAN)
        .with_preference(Preference::PreferCloud)
        .with_consent(consent_given())
}

/// A router with the emulator as its cloud and in-memory records.
fn cloud_router(client: ImageKit) -> (Hybrid, Arc<MemorySink>) {
    let sink = Arc::new(MemorySink::new());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(client).expect("the emulator client has every key"))
        .records(sink.clone())
        .clock(now)
        .build();
    (hybrid, sink)
}

/// A client that does not retry and does not really wait (for injected faults).
fn impatient_client(emu: &EmulatorHandle) -> ImageKit {
    emu.client_builder()
        .max_retries(0)
        .sleeper(Arc::new(RecordingSleeper::new()))
        .build()
        .expect("emulator client")
}

fn is_upload(r: &LoggedRequest) -> bool {
    r.method == "POST" && r.path.ends_with("/files/upload")
}

fn uploads(emu: &EmulatorHandle) -> Vec<LoggedRequest> {
    emu.requests().into_iter().filter(is_upload).collect()
}

fn cdn_fetches(emu: &EmulatorHandle) -> Vec<LoggedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/cdn/"))
        .collect()
}

#[track_caller]
fn denied(result: Result<Routed, Error>) -> Denied {
    match result {
        Err(Error::Denied(d)) => d,
        Err(e) => panic!("expected a refusal, got the error {e:?}"),
        Ok(r) => panic!("expected a refusal, got a result from {}", r.record.location),
    }
}

fn last(sink: &MemorySink) -> ProcessingRecord {
    sink.all().pop().expect("a record")
}

/// The query the router documents: the image, and the user id that names the upload folder.
fn cloud_query(signed_in: bool) -> Query {
    let q = Query::to("imagekit", IMAGE_PROCESSING).data("user.content.private");
    if signed_in { q.data("user.unique_id") } else { q }
}

/// Width and height.
type Size = (u32, u32);

// 1. The same transformation gives the same output size on the device and in the cloud.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_and_cloud_agree_on_output_size() -> TestResult {
    let emu = Emulator::start().await?;
    let (cloud, _) = cloud_router(emu.client()?);
    let device = Hybrid::builder().build();
    let input = sample();
    // (transformation, the size ImageKit's documented geometry gives for 1600×900, format)
    let cases: &[(&str, Option<Size>, ImageFormat)] = &[
        ("w-400,h-300,c-at_max", Some((400, 225)), ImageFormat::Jpeg),
        ("w-300,h-300,cm-pad_resize,bg-FFFFFF", Some((300, 300)), ImageFormat::Jpeg),
        ("ar-4-3,w-400", Some((400, 300)), ImageFormat::Jpeg),
        ("w-320,f-png", Some((320, 180)), ImageFormat::Png),
        ("w-200,h-200,c-at_least", None, ImageFormat::Jpeg),
        ("w-0.1", Some((160, 90)), ImageFormat::Jpeg),
        ("h-150:rt-90", None, ImageFormat::Jpeg),
        ("w-250,h-100,cm-extract,fo-top_left", Some((250, 100)), ImageFormat::Jpeg),
        ("w-100,h-50,dpr-2", Some((200, 100)), ImageFormat::Jpeg),
        ("w-5000,h-5000,c-at_max", Some((1600, 900)), ImageFormat::Jpeg),
    ];
    for &(s, expected, format) in cases {
        let before = uploads(&emu).len();
        let on_device = device
            .run(Job::new(input.clone(), t(s)), &Context::anonymous(Entitlements::NONE))
            .await?;
        let in_cloud = cloud.run(Job::new(input.clone(), t(s)), &cloud_user(USER)).await?;
        assert_eq!(on_device.record.location, "device", "{s}");
        assert!(on_device.processed.location.is_device(), "{s}");
        assert_eq!(in_cloud.record.location, "cloud:imagekit", "{s}");
        assert_eq!(in_cloud.processed.location.recipient(), Some("imagekit"), "{s}");
        assert_eq!(uploads(&emu).len(), before + 1, "{s}: one upload to the emulator");
        let size = |p: &Processed| (p.width, p.height);
        assert_eq!(size(&on_device.processed), size(&in_cloud.processed), "{s}: device vs cloud");
        // The reported size is the real size of the bytes.
        let probed = codec::probe(&in_cloud.processed.bytes, &Default::default())?;
        assert_eq!((probed.width, probed.height), size(&in_cloud.processed), "{s}: cloud bytes");
        if let Some(expected) = expected {
            assert_eq!(size(&on_device.processed), expected, "{s}");
        }
        assert_eq!(on_device.processed.format, format, "{s}: device format");
        assert_eq!(in_cloud.processed.format, format, "{s}: cloud format");
    }
    assert!(emu.files().is_empty(), "every upload was deleted: {:?}", emu.files());
    Ok(())
}

// 2. A refused job sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_jobs_send_nothing() -> TestResult {
    let emu = Emulator::start().await?;
    let (hybrid, sink) = cloud_router(emu.client()?);
    let input = sample();
    let cases: Vec<(&str, Context, Rule)> = vec![
        (
            "consent withdrawn",
            cloud_user(USER).with_consent(consent_withdrawn()),
            Rule::Policy {
                clause: CLOUD_CLAUSE.into(),
                version: Policy::pixmize().version().into(),
            },
        ),
        (
            "consent never asked",
            cloud_user(USER).with_consent(ConsentSnapshot::new()),
            Rule::Policy {
                clause: CLOUD_CLAUSE.into(),
                version: Policy::pixmize().version().into(),
            },
        ),
        (
            "plan without cloud",
            Context::user(USER, Entitlements::new(false, 25, 50))
                .with_preference(Preference::PreferCloud)
                .with_consent(consent_given()),
            Rule::PlanCloudNotIncluded,
        ),
        (
            "anonymous defaults",
            Context::anonymous(Entitlements::ANONYMOUS).with_consent(consent_given()),
            Rule::PlanCloudNotIncluded,
        ),
        (
            "image larger than the plan",
            Context::user(USER, Entitlements::new(true, 1, 50)).with_consent(consent_given()),
            Rule::PlanTooLarge,
        ),
        (
            "device only",
            cloud_user(USER).with_preference(Preference::DeviceOnly),
            Rule::Policy {
                clause: CLOUD_CLAUSE.into(),
                version: Policy::pixmize().version().into(),
            },
        ),
    ];
    for (name, ctx, rule) in cases {
        for s in ["e-bgremove", "w-300,e-upscale", "w-200,h-200,fo-face"] {
            let d = denied(hybrid.run(Job::new(input.clone(), t(s)), &ctx).await);
            assert_eq!(d.rule, rule, "{name}, {s}: {d}");
            let r = last(&sink);
            assert_eq!(r.location, "none", "{name}, {s}");
            assert_eq!(r.decided_by, rule.to_string(), "{name}, {s}");
            assert!(matches!(r.outcome, Outcome::Denied { .. }), "{name}, {s}: {:?}", r.outcome);
            assert!(emu.requests().is_empty(), "{name}, {s}: sent {:?}", emu.requests());
        }
    }
    // The same router does reach the emulator when everything allows it.
    hybrid.run(Job::new(input, t("e-bgremove")), &cloud_user(USER)).await?;
    assert_eq!(uploads(&emu).len(), 1);
    Ok(())
}

// 3. Withdrawing consent mid-session stops cloud jobs at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_consent_mid_session_stops_cloud_jobs() -> TestResult {
    let emu = Emulator::start().await?;
    let (hybrid, sink) = cloud_router(emu.client()?);
    let input = sample();
    let mut ctx = Context::user(USER, CLOUD_PLAN).with_consent(consent_given());

    let first = hybrid.run(Job::new(input.clone(), t("w-300,e-bgremove")), &ctx).await?;
    assert_eq!(first.record.location, "cloud:imagekit");
    assert_eq!(first.record.decided_by, format!("policy:{CLOUD_CLAUSE}"));
    let sent = emu.requests().len();
    assert_eq!(uploads(&emu).len(), 1);

    ctx.consent.withdraw("cloud_processing");
    let d = denied(hybrid.run(Job::new(input.clone(), t("w-300,e-bgremove")), &ctx).await);
    assert_eq!(d.policy_clause(), Some(CLOUD_CLAUSE), "{d}");
    assert_eq!(
        d.rule,
        Rule::Policy { clause: CLOUD_CLAUSE.into(), version: Policy::pixmize().version().into() }
    );
    assert!(d.message.contains("cloud_processing"), "names the consent: {}", d.message);
    assert_eq!(emu.requests().len(), sent, "no new request: {:?}", &emu.requests()[sent..]);
    assert!(matches!(last(&sink).outcome, Outcome::Denied { .. }));

    // Preferring the cloud for a job the device can run now stays on the device.
    ctx.preference = Preference::PreferCloud;
    let fallback = hybrid.run(Job::new(input.clone(), t("w-300")), &ctx).await?;
    assert_eq!(fallback.record.location, "device");
    assert_eq!(fallback.record.decided_by, format!("device:fallback (policy:{CLOUD_CLAUSE})"));
    assert_eq!(emu.requests().len(), sent, "no new request");

    // Giving consent again resumes cloud work.
    ctx.consent.give(Policy::pixmize(), "cloud_processing");
    let again = hybrid.run(Job::new(input, t("w-300,e-bgremove")), &ctx).await?;
    assert_eq!(again.record.location, "cloud:imagekit");
    assert_eq!(uploads(&emu).len(), 2);
    Ok(())
}

// 4. A cloud-only parameter under "device only" is refused citing the clause.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_only_refuses_cloud_only_parameters_citing_the_clause() -> TestResult {
    let emu = Emulator::start().await?;
    let (hybrid, sink) = cloud_router(emu.client()?);
    let input = sample();
    let version = Policy::pixmize().version();
    for consent in [consent_given(), ConsentSnapshot::new(), consent_withdrawn()] {
        let ctx = Context::user(USER, CLOUD_PLAN)
            .with_preference(Preference::DeviceOnly)
            .with_consent(consent.clone());
        for s in ["e-bgremove", "l-text,i-Hello,l-end", "w-100,h-100,fo-face", "e-genvar"] {
            let d = denied(hybrid.run(Job::new(input.clone(), t(s)), &ctx).await);
            assert_eq!(d.policy_clause(), Some(CLOUD_CLAUSE), "{s} with {consent:?}: {d}");
            assert_eq!(d.clause(), format!("policy:{CLOUD_CLAUSE}"));
            assert_eq!(
                d.rule,
                Rule::Policy { clause: CLOUD_CLAUSE.into(), version: version.into() }
            );
            let r = last(&sink);
            assert_eq!((r.location.as_str(), r.policy_version.as_deref()), ("none", Some(version)));
            assert_eq!(r.decided_by, format!("policy:{CLOUD_CLAUSE}"));
        }
        // What the device can run still runs there.
        let ok = hybrid.run(Job::new(input.clone(), t("w-100")), &ctx).await?;
        assert_eq!(ok.record.location, "device");
    }
    assert!(emu.requests().is_empty(), "sent {:?}", emu.requests());
    Ok(())
}

/// ImageKit through the emulator, configured to keep its uploads (it says so).
struct KeepingCloud(ImageKitCloud);

#[async_trait::async_trait]
impl CloudProcessor for KeepingCloud {
    fn recipient(&self) -> &str {
        self.0.recipient()
    }
    fn supports(&self, t: &Transformation) -> Support {
        self.0.supports(t)
    }
    fn deletes_after_processing(&self) -> bool {
        false
    }
    async fn process_for(
        &self,
        allow: &Allow,
        job: Job,
        user: Option<&UserId>,
    ) -> Result<Processed, pixmize::engine::Error> {
        self.0.process_for(allow, job, user).await
    }
}

// 4b. The policy's permit obliges deleting uploads after processing: a processor that keeps them
// is refused, citing the obligation, before anything is sent or counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_processor_that_keeps_uploads_is_refused_by_the_obligation() -> TestResult {
    let emu = Emulator::start().await?;
    let quota = Arc::new(MemoryQuota::new());
    let sink = Arc::new(MemorySink::new());
    let hybrid = Hybrid::builder()
        .cloud(KeepingCloud(ImageKitCloud::new(emu.client()?)?))
        .quota(quota.clone())
        .records(sink.clone())
        .clock(now)
        .build();
    let Decision::Allow(allow) = Policy::pixmize().decide(&cloud_query(true), &consent_given())
    else {
        panic!("the policy permits ImageKit with consent");
    };
    assert!(allow.deletion().is_some(), "the permit carries the deletion obligation");

    for ctx in [cloud_user(USER), Context::user(USER, CLOUD_PLAN).with_consent(consent_given())] {
        let d = denied(hybrid.run(Job::new(sample(), t("w-300,e-bgremove")), &ctx).await);
        assert_eq!(d.rule, Rule::Obligation, "{d}");
        assert_eq!(d.clause(), "policy:obligation");
        assert!(d.message.contains("delet"), "names the obligation: {}", d.message);
        let r = last(&sink);
        assert_eq!((r.location.as_str(), r.decided_by.as_str()), ("none", "policy:obligation"));
        assert!(matches!(r.outcome, Outcome::Denied { .. }), "{:?}", r.outcome);
        assert!(emu.requests().is_empty(), "sent {:?}", emu.requests());
        assert_eq!(quota.used(USER, now()).await, 0, "a refusal consumes nothing");
    }
    // What the device can run still runs there, even when the user prefers the cloud.
    let routed = hybrid.run(Job::new(sample(), t("w-300")), &cloud_user(USER)).await?;
    assert_eq!(routed.record.decided_by, "device:fallback (policy:obligation)");
    assert!(emu.requests().is_empty(), "sent {:?}", emu.requests());
    Ok(())
}

// 5a. The monthly quota is enforced before anything leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_quota_is_refused() -> TestResult {
    let emu = Emulator::start().await?;
    let quota = Arc::new(MemoryQuota::new());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(emu.client()?)?)
        .quota(quota.clone())
        .clock(now)
        .build();
    let ctx = Context::user(USER, Entitlements::new(true, 25, 2)).with_consent(consent_given());
    let input = sample();
    for i in 1..=2 {
        hybrid.run(Job::new(input.clone(), t("e-bgremove")), &ctx).await?;
        assert_eq!(quota.used(USER, now()).await, i);
    }
    let sent = emu.requests().len();
    let d = denied(hybrid.run(Job::new(input.clone(), t("e-bgremove")), &ctx).await);
    assert_eq!(d.rule, Rule::PlanQuota, "{d}");
    assert_eq!(d.clause(), "plan:monthly-quota");
    assert_eq!(emu.requests().len(), sent, "nothing sent over quota");
    assert_eq!(uploads(&emu).len(), 2);
    assert_eq!(quota.used(USER, now()).await, 2, "a refusal consumes nothing");
    // Another user has their own quota; a quota-less device job still runs.
    hybrid.run(Job::new(input.clone(), t("e-bgremove")), &cloud_user("user_other")).await?;
    assert_eq!(hybrid.run(Job::new(input, t("w-50")), &ctx).await?.record.location, "device");
    // A month later the quota is back.
    let later = Hybrid::builder()
        .cloud(ImageKitCloud::new(emu.client()?)?)
        .quota(quota.clone())
        .clock(|| now() + Duration::from_secs(31 * 86_400))
        .build();
    later.run(Job::new(sample(), t("e-bgremove")), &ctx).await?;
    Ok(())
}

// 5b. A cloud job that fails gives its quota back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_cloud_job_refunds_the_quota() -> TestResult {
    let emu = Emulator::start().await?;
    let quota = Arc::new(MemoryQuota::new());
    let sink = Arc::new(MemorySink::new());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(impatient_client(&emu))?)
        .quota(quota.clone())
        .records(sink.clone())
        .clock(now)
        .build();
    let ctx = Context::user(USER, Entitlements::new(true, 25, 1)).with_consent(consent_given());
    let input = sample();

    for fault in [Fault::status(500).on(FaultRoute::Upload), Fault::status(502).on(FaultRoute::Cdn)]
    {
        emu.inject(fault.clone());
        let err = hybrid.run(Job::new(input.clone(), t("e-bgremove")), &ctx).await.unwrap_err();
        assert!(
            matches!(&err, Error::Cloud { recipient, .. } if recipient == "imagekit"),
            "{fault:?}: {err:?}"
        );
        assert!(emu.pending_faults().is_empty(), "{fault:?} was used");
        assert_eq!(quota.used(USER, now()).await, 0, "{fault:?}: the quota was refunded");
        let r = last(&sink);
        assert_eq!(r.location, "cloud:imagekit");
        assert!(matches!(r.outcome, Outcome::Failed { .. }), "{:?}", r.outcome);
        assert!(emu.files().is_empty(), "{fault:?}: cleaned up {:?}", emu.files());
    }
    // The one unit of quota is still there.
    hybrid.run(Job::new(input.clone(), t("e-bgremove")), &ctx).await?;
    assert_eq!(quota.used(USER, now()).await, 1);
    assert_eq!(
        denied(hybrid.run(Job::new(input, t("e-bgremove")), &ctx).await).rule,
        Rule::PlanQuota
    );
    Ok(())
}

// 5c. An upload that cannot be prepared (the metadata cannot be stripped) gives its quota back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpreparable_upload_refunds_the_quota() -> TestResult {
    let emu = Emulator::start().await?;
    let quota = Arc::new(MemoryQuota::new());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(emu.client()?)?)
        .quota(quota.clone())
        .clock(now)
        .build();
    let ctx = Context::user(USER, Entitlements::new(true, 25, 1)).with_consent(consent_given());
    // A PNG whose header is readable but whose chunks are cut short.
    let png = LocalProcessor::new().process_sync(Job::new(sample(), t("w-64,f-png")))?.bytes;
    let truncated = png[..png.len() - 20].to_vec();
    assert!(codec::probe(&truncated, &Default::default()).is_ok(), "the header still reads");
    assert!(codec::strip_metadata(&truncated).is_err(), "but it cannot be stripped");

    let err = hybrid.run(Job::new(truncated, t("e-bgremove")), &ctx).await.unwrap_err();
    assert!(matches!(err, Error::Input(_)), "{err:?}");
    assert!(emu.requests().is_empty(), "nothing sent");
    assert_eq!(quota.used(USER, now()).await, 0, "the quota was refunded");
    hybrid.run(Job::new(sample(), t("e-bgremove")), &ctx).await?;
    Ok(())
}

/// A JPEG APP1 segment with an EXIF block: a camera make, a long description and a GPS position.
fn exif_app1() -> Vec<u8> {
    let make = b"PixmizeTestCam\0".to_vec();
    let mut description = b"GPS-SECRET-".repeat(400);
    description.push(0);
    let entries0 = 3u16;
    let ifd0 = 8u32;
    let gps_ifd = ifd0 + 2 + 12 * u32::from(entries0) + 4;
    let entries_gps = 2u16;
    let data = gps_ifd + 2 + 12 * u32::from(entries_gps) + 4;
    let make_at = data;
    let description_at = make_at + make.len() as u32;
    let latitude_at = description_at + description.len() as u32;

    let mut tiff = b"II\x2a\x00".to_vec();
    tiff.extend(ifd0.to_le_bytes());
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(count.to_le_bytes());
        tiff.extend(value);
    };
    tiff.extend(entries0.to_le_bytes());
    entry(&mut tiff, 0x010E, 2, description.len() as u32, description_at.to_le_bytes());
    entry(&mut tiff, 0x010F, 2, make.len() as u32, make_at.to_le_bytes());
    entry(&mut tiff, 0x8825, 4, 1, gps_ifd.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(entries_gps.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, 5, 3, latitude_at.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    assert_eq!(tiff.len() as u32, data);
    tiff.extend(&make);
    tiff.extend(&description);
    for (num, den) in [(52u32, 1u32), (31, 1), (1234, 100)] {
        tiff.extend(num.to_le_bytes());
        tiff.extend(den.to_le_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(u16::try_from(2 + 6 + tiff.len()).expect("fits a segment").to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    app1
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// 6. Metadata is stripped before upload, and the upload is deleted after processing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_stripped_before_upload_and_the_upload_deleted() -> TestResult {
    let emu = Emulator::start().await?;
    let sink = Arc::new(MemorySink::new());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(impatient_client(&emu))?)
        .records(sink.clone())
        .clock(now)
        .build();
    let plain = sample();
    let mut photo = plain[..2].to_vec();
    photo.extend(exif_app1());
    photo.extend(&plain[2..]);
    let decoded = codec::decode(&photo, &DecodeOptions::default())?;
    let exif = decoded.metadata.exif.as_deref().expect("the input carries EXIF");
    assert!(contains(exif, b"PixmizeTestCam"), "the EXIF block was read");
    let ctx = cloud_user(USER);

    // Keep the upload: every delete fails, so the stored file can be inspected.
    emu.inject(Fault::status(500).on(FaultRoute::Api).times(100));
    let err = hybrid.run(Job::new(photo.clone(), t("w-300,e-bgremove")), &ctx).await.unwrap_err();
    assert!(matches!(err, Error::Cloud { .. }), "the orphaned upload is an error: {err:?}");
    emu.clear_faults();
    let files = emu.files();
    assert_eq!(files.len(), 1, "{files:?}");
    let stored = emu.file_bytes(&files[0].file_id).expect("stored bytes");
    for marker in [&b"Exif\0\0"[..], b"PixmizeTestCam", b"GPS-SECRET-"] {
        assert!(
            !contains(&stored, marker),
            "{:?} reached the cloud",
            String::from_utf8_lossy(marker)
        );
    }
    let stored_meta = codec::decode(&stored, &DecodeOptions::default())?.metadata;
    assert!(stored_meta.exif.is_none(), "no EXIF in the upload");
    assert_eq!(
        codec::probe(&stored, &Default::default())?.width,
        1600,
        "the image itself is intact"
    );
    let upload = uploads(&emu).pop().expect("an upload");
    assert!(
        upload.body_size < photo.len(),
        "the upload body ({} bytes) is smaller than the input with its 4 KB of EXIF ({} bytes)",
        upload.body_size,
        photo.len()
    );
    assert!(upload.body_size > stored.len(), "the body holds the stored file");

    // A normal run: the upload is deleted once the result is fetched.
    emu.clear_requests();
    let out = hybrid.run(Job::new(photo, t("w-300,e-bgremove")), &ctx).await?;
    assert_eq!(out.record.location, "cloud:imagekit");
    assert!(!contains(&out.processed.bytes, b"PixmizeTestCam"), "nothing comes back either");
    let requests = emu.requests();
    let deletes: Vec<_> = requests.iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 1, "{requests:?}");
    assert_eq!(deletes[0].status, 204, "{:?}", deletes[0]);
    let files = emu.files();
    assert_eq!(files.len(), 1, "only the orphan of the failed run is left: {files:?}");
    assert!(!deletes[0].path.ends_with(&files[0].file_id), "the new upload was deleted");
    Ok(())
}

// 7. Every job writes a record; records carry no image bytes and no free text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_is_recorded_without_image_bytes_or_free_text() -> TestResult {
    let emu = Emulator::start().await?;
    let dir = tempfile::tempdir()?;
    let sink = Arc::new(JsonLinesSink::new(dir.path().join("records.jsonl")));
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(emu.client()?)?)
        .records(sink.clone())
        .clock(now)
        .build();
    let input = sample();
    let version = Policy::pixmize().version().to_owned();
    let secret = "Alice Smith lives at 12 Secret Road";
    let text_layer = format!("w-300,l-text,i-{},fs-20,l-end", secret.replace(' ', "%20"));
    // "Alice Smith" in base64, as an `ie-` text layer.
    let encoded = "QWxpY2UgU21pdGg=";
    let encoded_layer = format!("l-text,ie-{encoded},l-end");
    let ctx = Context::user(USER, CLOUD_PLAN).with_consent(consent_given());
    let device_only = ctx.clone().with_preference(Preference::DeviceOnly);

    let mut routed = Vec::new();
    routed.push(hybrid.run(Job::new(input.clone(), t("w-200")), &ctx).await?.record);
    routed.push(hybrid.run(Job::new(input.clone(), t(&text_layer)), &ctx).await?.record);
    routed.push(hybrid.run(Job::new(input.clone(), t(&encoded_layer)), &ctx).await?.record);
    let _ = denied(hybrid.run(Job::new(input.clone(), t(&text_layer)), &device_only).await);
    let anonymous = Context::anonymous(Entitlements::ANONYMOUS);
    routed.push(hybrid.run(Job::new(input.clone(), t("w-100")), &anonymous).await?.record);

    let records = sink.records_for(USER)?;
    assert_eq!(records.len(), 4, "{records:#?}");
    assert_eq!(&records[..3], &routed[..3], "what was returned is what was stored");
    let summary: Vec<_> = records
        .iter()
        .map(|r| (r.location.as_str(), r.decided_by.as_str(), r.policy_version.as_deref()))
        .collect();
    let cloud = format!("policy:{CLOUD_CLAUSE}");
    assert_eq!(
        summary,
        [
            ("device", "device:supported", Some(version.as_str())),
            ("cloud:imagekit", cloud.as_str(), Some(version.as_str())),
            ("cloud:imagekit", cloud.as_str(), Some(version.as_str())),
            ("none", cloud.as_str(), Some(version.as_str())),
        ]
    );
    assert!(matches!(records[3].outcome, Outcome::Denied { .. }), "{:?}", records[3].outcome);
    match &records[1].outcome {
        Outcome::Processed { format, width, bytes, .. } => {
            assert_eq!((format.as_str(), *width), ("jpg", 300));
            assert!(*bytes > 0);
        }
        other => panic!("{other:?}"),
    }
    for r in &records {
        assert_eq!(r.user.as_deref(), Some(USER));
        assert_eq!(r.input_bytes, input.len() as u64);
        assert_eq!(r.at, 1_790_000_000, "the injected clock");
        assert!(r.transformation.parse::<Transformation>().is_ok(), "{}", r.transformation);
    }
    assert!(
        records[1].transformation.contains("w-300") && records[1].transformation.contains("fs-20")
    );
    assert!(records[1].transformation.contains("redacted"), "{}", records[1].transformation);

    // The anonymous record has no user, and ids are unique.
    let all: Vec<ProcessingRecord> = std::fs::read_to_string(sink.path())?
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(all.len(), 5);
    assert_eq!(all[4], routed[3]);
    assert_eq!(all[4].user, None);
    let version = Some(version.as_str());
    assert!(
        all.iter().all(|r| r.policy_version.as_deref() == version),
        "every record names the policy version"
    );
    let mut ids: Vec<_> = all.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "unique ids");

    // No image bytes and no free text anywhere in the file.
    let text = std::fs::read_to_string(sink.path())?;
    for needle in ["Alice", "Secret", "Smith", encoded, "QWxpY2U", "Road"] {
        assert!(!text.contains(needle), "{needle:?} in the records:\n{text}");
    }
    for line in text.lines() {
        assert!(line.len() < 1024, "a record is small: {} bytes", line.len());
        let value: serde_json::Value = serde_json::from_str(line)?;
        let mut keys: Vec<_> = value.as_object().expect("an object").keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "at",
                "decided_by",
                "id",
                "input_bytes",
                "location",
                "outcome",
                "policy_version",
                "transformation",
                "user"
            ]
        );
    }
    // Deleting a user's records leaves the others.
    assert_eq!(sink.delete_for(USER)?, 4);
    assert!(sink.records_for(USER)?.is_empty());
    assert_eq!(std::fs::read_to_string(sink.path())?.lines().count(), 1);

    // Free text inside conditional branches and nested layers, and font paths, are redacted
    // too, whatever becomes of the job.
    let hidden = [
        "if-w_gt_300,l-text,i-Alice%20Smith,l-end,if-end",
        "if-w_gt_300,e-changebg-prompt-my%20house,if-end",
        "if-w_gt_300,n-secret,if-end",
        "if-w_lt_300,w-10,if-else,l-image,i-Photos@@alice.jpg,l-text,i-Alice,l-end,l-end,if-end",
        "l-text,i-Hi,ff-Fonts@@alice_private.ttf,l-end",
        "l-image,i-logo.png,w-50:if-w_gt_10,l-text,i-Alice,ff-alice_private.ttf,l-end,if-end,l-end",
    ];
    for s in hidden {
        for ctx in [&ctx, &device_only] {
            let _ = hybrid.run(Job::new(input.clone(), t(s)), ctx).await;
            let r = last_line(&sink)?;
            assert!(r.transformation.contains("redacted"), "{s}: {}", r.transformation);
            assert_eq!(r.transformation, pixmize::redacted(&t(s)), "{s}");
        }
    }
    assert_eq!(sink.records_for(USER)?.len(), 2 * hidden.len());
    let text = std::fs::read_to_string(sink.path())?;
    for needle in ["Alice", "alice", "house", "secret", "Photos", "Fonts"] {
        assert!(!text.contains(needle), "{needle:?} in the records:\n{text}");
    }
    Ok(())
}

/// The last record of a JSON-lines sink.
fn last_line(sink: &JsonLinesSink) -> Result<ProcessingRecord, pixmize::BoxError> {
    let text = std::fs::read_to_string(sink.path())?;
    Ok(serde_json::from_str(text.lines().last().ok_or("no record")?)?)
}

/// Where free text can be written, with `{}` for the text (a table over every free-text
/// position of the language).
const FREE_TEXT: &[&str] = &[
    "l-text,i-{},l-end",
    "l-text,ie-{},l-end",
    "l-image,i-{}.png,l-end",
    "l-image,i-Photos@@{}.png,l-end",
    "l-text,i-Hi,ff-Fonts@@{}.ttf,l-end",
    "l-text,i-Hi,ff-{},l-end",
    "e-changebg-prompt-{}",
    "e-changebg-prompte-{}",
    "e-edit-prompt-{}",
    "bg-genfill-prompt-{}",
    "n-{}",
    "di-{}.jpg",
    "pg-name-{}",
    "cr-{}",
    "e-colorize-{}",
    "e-distort-{}",
];

/// Ways to wrap a step: each puts it one level deeper.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wrap {
    /// The `then` branch of a conditional.
    Then,
    /// The `else` branch of a conditional.
    Else,
    /// An image layer's own transformation, in the layer's step.
    Layer,
    /// An image layer's own transformation, as a later step of its chain.
    LayerChain,
}

impl Wrap {
    const ALL: [Wrap; 4] = [Wrap::Then, Wrap::Else, Wrap::Layer, Wrap::LayerChain];

    fn apply(self, inner: &str) -> String {
        match self {
            Wrap::Then => format!("if-w_gt_300,{inner},if-end"),
            Wrap::Else => format!("if-w_gt_300,w-10,if-else,{inner},if-end"),
            Wrap::Layer => format!("l-image,i-logo.png,{inner},l-end"),
            Wrap::LayerChain => format!("l-image,i-logo.png,w-50:{inner},l-end"),
        }
    }
}

/// Whether the language admits `position` wrapped in `wraps` (innermost first): a conditional
/// stands alone in its step and is no branch of another (one inside a layer is), and layers nest
/// at most three deep.
fn admitted(position: &str, wraps: &[Wrap]) -> bool {
    let layers = wraps.iter().filter(|w| matches!(w, Wrap::Layer | Wrap::LayerChain)).count()
        + usize::from(position.starts_with("l-"));
    let conditional = |w: &Wrap| matches!(w, Wrap::Then | Wrap::Else);
    let alone = wraps.windows(2).all(|w| !conditional(&w[0]) || w[1] == Wrap::LayerChain);
    layers <= 3 && alone
}

// 7b. Redaction reaches every free-text position at every depth: top level, either branch of a
// conditional, layers nested up to three deep, and their combinations.
#[test]
fn free_text_is_redacted_at_every_position_and_depth() {
    let mut nestings: Vec<Vec<Wrap>> = vec![Vec::new()];
    for _ in 0..3 {
        let longer: Vec<Vec<Wrap>> = nestings
            .iter()
            .filter(|n| n.len() == nestings.last().map_or(0, Vec::len))
            .flat_map(|n| Wrap::ALL.map(|w| [n.as_slice(), &[w]].concat()))
            .collect();
        nestings.extend(longer);
    }
    let mut checked = 0;
    for position in FREE_TEXT {
        for wraps in &nestings {
            let write = |text: &str| {
                wraps.iter().fold(position.replace("{}", text), |inner, w| w.apply(&inner))
            };
            let (alice, bob) = (write("Alice%20Smith"), write("Bob%2C%20Jones"));
            let parsed = alice.parse::<Transformation>();
            let error = parsed.as_ref().err();
            assert_eq!(parsed.is_ok(), admitted(position, wraps), "{alice}: {error:?}");
            let Ok(original) = parsed else { continue };
            let r = pixmize::redacted(&original);
            assert!(!r.contains("Alice") && !r.contains("Smith"), "{alice} -> {r}");
            // The record depends on the structure only, never on the text.
            assert_eq!(r, pixmize::redacted(&t(&bob)), "{alice} vs {bob}");
            let back: Transformation = r.parse().unwrap_or_else(|e| panic!("{alice} -> {r}: {e}"));
            assert_eq!(pixmize::redacted(&back), r, "{alice}: redaction is idempotent");
            assert_eq!(back.steps().len(), original.steps().len(), "{alice} -> {r}");
            assert_eq!(back.layer_depth(), original.layer_depth(), "{alice} -> {r}");
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} admitted cases");
}

// 9. Uploads go to `/pixmize-tmp/<user>` for exactly the ids `UserId` accepts; any other id (one
// that could share a folder with another user or with the anonymous uploads) is refused the
// cloud, before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_go_to_the_users_folder() -> TestResult {
    let emu = Emulator::start().await?;
    let (hybrid, sink) = cloud_router(emu.client()?);
    let cases: &[(Option<&str>, &str)] = &[
        (
            Some("user_2NNEqL2nrIRdJ194ndJqAHwEfxC"),
            "/pixmize-tmp/user_2NNEqL2nrIRdJ194ndJqAHwEfxC/",
        ),
        (Some("user-a"), "/pixmize-tmp/user-a/"),
        (Some("Anonymous"), "/pixmize-tmp/Anonymous/"),
        (None, "/pixmize-tmp/anonymous/"),
    ];
    for &(user, folder) in cases {
        emu.clear_requests();
        let ctx = match user {
            Some(u) => Context::user(u, CLOUD_PLAN),
            None => Context::anonymous(CLOUD_PLAN),
        }
        .with_consent(consent_given());
        let routed = hybrid.run(Job::new(sample(), t("w-120,e-bgremove")), &ctx).await?;
        assert_eq!(routed.record.location, "cloud:imagekit");
        assert_eq!(routed.record.user.as_deref(), user);
        let fetches = cdn_fetches(&emu);
        assert_eq!(fetches.len(), 1, "{:?}", emu.requests());
        let path = fetches[0].path.strip_prefix("/cdn").expect("a CDN path");
        assert!(path.starts_with(folder), "{user:?}: fetched {path}, expected under {folder}");
        let name = &path[folder.len()..];
        assert!(!name.contains('/') && name.ends_with(".jpg"), "{user:?}: one file name: {name}");
        assert!(emu.files().is_empty(), "{user:?}: deleted");
        let id = user.map(UserId::new).transpose()?;
        assert_eq!(user_folder("/pixmize-tmp", id.as_ref()), folder.trim_end_matches('/'));
    }
    // Ids that are no `UserId`: they would have been squeezed into another folder (`user.a`
    // into `user_a`'s, `anonymous` into the anonymous one, `""` into the base itself).
    for user in ["user.a", "anonymous", "", "../../admin x/é", "a?b#c%2F", "user/a"] {
        assert!(UserId::new(user).is_err(), "{user:?}");
        emu.clear_requests();
        let ctx = Context::user(user, CLOUD_PLAN).with_consent(consent_given());
        let d = denied(hybrid.run(Job::new(sample(), t("w-120,e-bgremove")), &ctx).await);
        assert_eq!(d.rule, Rule::InvalidUserId, "{user:?}: {d}");
        assert_eq!(d.clause(), "user:invalid-id");
        let r = last(&sink);
        assert_eq!((r.location.as_str(), r.decided_by.as_str()), ("none", "user:invalid-id"));
        assert!(emu.requests().is_empty(), "{user:?}: sent {:?}", emu.requests());
        // The device needs no folder: what it can run still runs.
        let ctx = ctx.with_preference(Preference::PreferCloud);
        let routed = hybrid.run(Job::new(sample(), t("w-120")), &ctx).await?;
        assert_eq!(routed.record.decided_by, "device:fallback (user:invalid-id)");
        assert!(emu.requests().is_empty(), "{user:?}: sent {:?}", emu.requests());
    }
    Ok(())
}

// 9b. `user.a` and `user_a` are two users: only `user_a`, a `UserId`, has a folder, and nothing of
// `user.a` can land in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_dot_a_never_shares_the_folder_of_user_a() -> TestResult {
    let emu = Emulator::start().await?;
    let quota = Arc::new(MemoryQuota::new());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(emu.client()?)?)
        .quota(quota.clone())
        .clock(now)
        .build();
    let job = || Job::new(sample(), t("w-120,e-bgremove"));

    let d = denied(hybrid.run(job(), &cloud_user("user.a")).await);
    assert_eq!(d.rule, Rule::InvalidUserId, "{d}");
    assert!(emu.requests().is_empty(), "sent {:?}", emu.requests());
    assert_eq!(quota.used("user_a", now()).await, 0, "nor does it count against user_a");

    hybrid.run(job(), &cloud_user("user_a")).await?;
    let fetched = cdn_fetches(&emu).pop().expect("a fetch").path;
    assert!(fetched.starts_with("/cdn/pixmize-tmp/user_a/"), "{fetched}");
    assert_eq!(uploads(&emu).len(), 1, "only user_a's job was sent");
    assert_eq!(quota.used("user_a", now()).await, 1);

    let user_a = UserId::new("user_a")?;
    let cloud = ImageKitCloud::new(emu.client()?)?;
    assert_eq!(cloud.folder_for(Some(&user_a)), "/pixmize-tmp/user_a");
    assert_eq!(cloud.folder_for(None), "/pixmize-tmp/anonymous");
    Ok(())
}

/// A cloud processor that runs nothing the device cannot, and counts calls.
struct LimitedCloud {
    calls: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl CloudProcessor for LimitedCloud {
    fn recipient(&self) -> &str {
        "imagekit"
    }
    fn supports(&self, t: &Transformation) -> Support {
        LocalProcessor::new().supports(t)
    }
    fn deletes_after_processing(&self) -> bool {
        true
    }
    async fn process_for(
        &self,
        allow: &Allow,
        job: Job,
        _user: Option<&UserId>,
    ) -> Result<Processed, pixmize::engine::Error> {
        pixmize::check_allow(allow, "imagekit")?;
        self.calls.fetch_add(1, Ordering::SeqCst);
        LocalProcessor::new().process(job).await
    }
}

// `Error::Unsupported`: a job nobody can run is not a policy refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_jobs_are_not_recorded_as_refusals() -> TestResult {
    let sink = Arc::new(MemorySink::new());
    let no_cloud = Hybrid::builder().records(sink.clone()).clock(now).build();
    let input = sample();
    for pref in [Preference::Automatic, Preference::PreferCloud, Preference::DeviceOnly] {
        let ctx = cloud_user(USER).with_preference(pref);
        let err =
            no_cloud.run(Job::new(input.clone(), t("w-100,e-bgremove")), &ctx).await.unwrap_err();
        match &err {
            Error::Unsupported { params, cloud } => {
                assert_eq!(
                    (params.as_slice(), cloud.as_deref()),
                    (&["e-bgremove"][..], None),
                    "{pref:?}"
                );
            }
            other => panic!("{pref:?}: {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "`e-bgremove` cannot run on the device and no cloud processor is configured"
        );
        let r = last(&sink);
        assert!(matches!(r.outcome, Outcome::Failed { .. }), "{pref:?}: {:?}", r.outcome);
        assert!(
            !r.decided_by.starts_with("policy:") && !r.decided_by.starts_with("plan:"),
            "{pref:?}: {}",
            r.decided_by
        );
        assert_eq!(r.location, "none", "{pref:?}");
        assert_eq!(r.policy_version.as_deref(), Some(Policy::pixmize().version()), "{pref:?}");
    }
    // Preferring the cloud without one: the device runs what it can.
    let ctx = cloud_user(USER);
    let routed = no_cloud.run(Job::new(input.clone(), t("w-100")), &ctx).await?;
    assert_eq!(routed.record.decided_by, "device:fallback (no cloud processor)");

    // A cloud processor that cannot run the parameter either.
    let calls = Arc::new(AtomicUsize::new(0));
    let limited = Hybrid::builder()
        .cloud(LimitedCloud { calls: calls.clone() })
        .records(sink.clone())
        .build();
    let err = limited
        .run(Job::new(input.clone(), t("e-upscale:w-50,e-bgremove:e-upscale")), &ctx)
        .await
        .unwrap_err();
    match &err {
        Error::Unsupported { params, cloud } => {
            assert_eq!(params, &["e-upscale", "e-bgremove"]);
            assert_eq!(cloud.as_deref(), Some("imagekit"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(last(&sink).outcome, Outcome::Failed { .. }));
    // …while it runs what it can, when the user prefers the cloud.
    assert_eq!(
        limited.run(Job::new(input, t("w-100")), &ctx).await?.record.location,
        "cloud:imagekit"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    Ok(())
}

// 8. Property: the emulator receives a request only when the policy allowed it and the user did
// not choose the device; the whole routing agrees with a model built from the policy.

struct Shared {
    rt: tokio::runtime::Runtime,
    emu: EmulatorHandle,
    input: Vec<u8>,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let emu = rt.block_on(Emulator::start()).expect("the emulator");
        // A small input keeps each case fast.
        let input = LocalProcessor::new()
            .process_sync(Job::new(sample(), t("w-160")))
            .expect("a thumbnail")
            .bytes;
        Shared { rt, emu, input }
    })
}

/// (transformation, whether the device can run it).
const TRANSFORMATIONS: &[(&str, bool)] = &[
    ("w-120,h-80,c-at_max", true),
    ("w-100,h-100,cm-pad_resize", true),
    ("ar-1-1,w-64", true),
    ("w-80,f-png", true),
    ("rt-90:e-grayscale", true),
    ("e-bgremove", false),
    ("w-100,e-upscale", false),
    ("w-80,h-80,fo-face", false),
    ("l-text,i-Hi,l-end", false),
    ("w-64:e-genvar", false),
];

const PLANS: &[Entitlements] = &[
    Entitlements::NONE,
    Entitlements::ANONYMOUS,
    Entitlements::new(false, 25, 50),
    Entitlements::new(true, 25, 0),
    Entitlements::new(true, 0, 50),
    Entitlements::new(true, 25, 1),
    Entitlements::new(true, 25, 2),
    Entitlements::new(true, 25, 50),
];

const PREFERENCES: [Preference; 3] =
    [Preference::DeviceOnly, Preference::Automatic, Preference::PreferCloud];

fn consent_state(i: usize) -> ConsentSnapshot {
    let policy = Policy::pixmize();
    let mut c = ConsentSnapshot::new();
    match i {
        0 => {}
        1 => {
            c.give(policy, "cloud_processing");
        }
        2 => {
            c.give(policy, "cloud_processing").withdraw("cloud_processing");
        }
        3 => {
            c.set("cloud_processing", ConsentStatus::Refused);
        }
        // Given, but for no revision of the activity (stale).
        4 => {
            c.set("cloud_processing", ConsentStatus::Given);
        }
        5 => {
            c.give(policy, "cloud_processing").give(policy, "cloud_processing");
        }
        6 => {
            c.give(policy, "cloud_processing").with_gpc(true);
        }
        7 => {
            c.set("cloud_processing", ConsentStatus::Requested);
        }
        _ => {
            c.give(policy, "usage_statistics");
        }
    }
    c
}

#[derive(Debug, Clone, PartialEq)]
enum Expected {
    Device,
    Cloud,
    Denied(Rule),
}

/// Runs one case's jobs, checks each against the model and tallies the outcomes.
fn check_case(
    signed_in: bool,
    entitlements: Entitlements,
    preference: Preference,
    consent: &ConsentSnapshot,
    jobs: &[usize],
    tally: &RefCell<[usize; 3]>,
) -> Result<(), TestCaseError> {
    let s = shared();
    let policy = Policy::pixmize();
    let ctx = if signed_in {
        Context::user("user_2prop", entitlements)
    } else {
        Context::anonymous(entitlements)
    }
    .with_preference(preference)
    .with_consent(consent.clone());
    let hybrid = Hybrid::builder()
        .cloud(ImageKitCloud::new(s.emu.client().expect("client")).expect("cloud"))
        .clock(now)
        .build();
    s.emu.clear_requests();

    // The model, from the policy's own answer.
    let decision = policy.decide(&cloud_query(signed_in), consent);
    let megapixels = 1; // 160×90
    let mut used = 0;
    for &j in jobs {
        let (ts, device_ok) = TRANSFORMATIONS[j];
        let transformation = t(ts);
        prop_assert_eq!(
            LocalProcessor::new().supports(&transformation).is_full(),
            device_ok,
            "label of {}",
            ts
        );
        let refusal = if preference == Preference::DeviceOnly {
            let clause = match &decision {
                Decision::Deny(d) => d.clause().as_str().to_owned(),
                Decision::Allow(_) => CLOUD_CLAUSE.to_owned(),
            };
            Some(Rule::Policy { clause, version: policy.version().into() })
        } else if let Decision::Deny(d) = &decision {
            Some(Rule::Policy {
                clause: d.clause().as_str().into(),
                version: policy.version().into(),
            })
        } else if !entitlements.cloud_processing || entitlements.monthly_cloud_quota == 0 {
            Some(Rule::PlanCloudNotIncluded)
        } else if megapixels > entitlements.max_megapixels {
            Some(Rule::PlanTooLarge)
        } else if used >= entitlements.monthly_cloud_quota {
            Some(Rule::PlanQuota)
        } else {
            None
        };
        let expected = if device_ok && preference != Preference::PreferCloud {
            Expected::Device
        } else {
            match refusal {
                None => Expected::Cloud,
                Some(_) if device_ok => Expected::Device,
                Some(rule) => Expected::Denied(rule),
            }
        };
        if expected == Expected::Cloud {
            used += 1;
        }

        let before = s.emu.requests().len();
        let result = s.rt.block_on(hybrid.run(Job::new(s.input.clone(), transformation), &ctx));
        let requests = s.emu.requests();
        let sent = &requests[before..];
        // The property itself: any request means an Allow and no "device only".
        if !sent.is_empty() {
            prop_assert!(decision.is_allowed(), "{} sent under {:?}", ts, decision);
            prop_assert_ne!(preference, Preference::DeviceOnly, "{} sent", ts);
        }
        let actual = match &result {
            Ok(r) if r.record.location == "device" => Expected::Device,
            Ok(r) if r.record.location == "cloud:imagekit" => Expected::Cloud,
            Err(Error::Denied(d)) => Expected::Denied(d.rule.clone()),
            other => return Err(TestCaseError::fail(format!("{ts}: unexpected {other:?}"))),
        };
        prop_assert_eq!(
            &actual,
            &expected,
            "{} ({:?}, {:?}, {:?})",
            ts,
            preference,
            entitlements,
            consent
        );
        let uploads = sent.iter().filter(|r| is_upload(r)).count();
        prop_assert_eq!(uploads, usize::from(expected == Expected::Cloud), "{}: {:?}", ts, sent);
        if let Ok(r) = &result {
            let from_cloud = r.processed.location.recipient() == Some("imagekit");
            prop_assert_eq!(from_cloud, expected == Expected::Cloud);
        }
        tally.borrow_mut()[match expected {
            Expected::Device => 0,
            Expected::Cloud => 1,
            Expected::Denied(_) => 2,
        }] += 1;
    }
    prop_assert!(s.emu.files().is_empty(), "uploads left: {:?}", s.emu.files());
    Ok(())
}

#[test]
fn the_cloud_is_reached_only_with_an_allow() {
    // Half the plans and consent states allow the cloud, so every outcome shows up.
    let plan = prop_oneof![0..5usize, 5..PLANS.len()];
    let consent = prop_oneof![proptest::sample::select(vec![1usize, 5, 6]), 0..9usize];
    let strategy = (
        any::<bool>(),
        plan,
        0..PREFERENCES.len(),
        consent,
        proptest::collection::vec(0..TRANSFORMATIONS.len(), 1..4),
    );
    let config =
        ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let tally = RefCell::new([0; 3]);
    let result = runner.run(&strategy, |(signed_in, plan, preference, consent, jobs)| {
        check_case(
            signed_in,
            PLANS[plan],
            PREFERENCES[preference],
            &consent_state(consent),
            &jobs,
            &tally,
        )
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let [device, cloud, refused] = tally.into_inner();
    assert!(
        device > 0 && cloud > 0 && refused > 0,
        "every outcome was exercised: {device} on the device, {cloud} in the cloud, {refused} refused"
    );
}

// The type system carries the policy's decision: `CloudProcessor::process_for`
// takes an `Allow` (which only `Policy::decide` makes), and a permit for
// another recipient is refused by the processor itself, before any upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permit_for_another_recipient_reaches_nothing() -> TestResult {
    let emu = Emulator::start().await?;
    let cloud = ImageKitCloud::new(emu.client()?)?;
    let user = UserId::new(USER)?;
    let policy = Policy::pixmize();
    let to_clerk =
        Query::to("clerk", "essential.service.authentication").data("user.contact.email");
    let allow: Allow = match policy.decide(&to_clerk, &consent_given()) {
        Decision::Allow(a) => a,
        Decision::Deny(d) => panic!("the account activity permits Clerk: {d}"),
    };
    let err = cloud
        .process_for(&allow, Job::new(sample(), t("w-100,e-bgremove")), Some(&user))
        .await
        .expect_err("a permit for Clerk does not open ImageKit");
    let why = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
    assert!(why.contains("is for clerk, not imagekit"), "{err}: {why}");
    assert!(emu.requests().is_empty(), "nothing reached ImageKit: {:?}", emu.requests());

    // The permit the router would get for ImageKit does open it.
    let to_imagekit = Query::to("imagekit", IMAGE_PROCESSING).data("user.content.private");
    let Decision::Allow(allow) = policy.decide(&to_imagekit, &consent_given()) else {
        panic!("image processing at ImageKit is permitted with consent");
    };
    let out = cloud.process_for(&allow, Job::new(sample(), t("w-100")), Some(&user)).await?;
    assert_eq!(out.width, 100);
    assert!(emu.files().is_empty(), "the upload was deleted");
    Ok(())
}
