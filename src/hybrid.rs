//! The hybrid router: device first; the cloud only under the privacy
//! policy, the user's plan and the user's choice.
//!
//! For each job, [`Hybrid::run`]:
//! 1. runs it on the device when the device supports every parameter and
//!    the user did not prefer the cloud;
//! 2. otherwise, if the user chose device-only, refuses it citing the
//!    policy clause that makes cloud processing the user's choice;
//! 3. otherwise asks [`Policy::decide`] whether the image (and the user id
//!    that names its upload folder) may go to the cloud recipient for image
//!    processing, checks that the plan includes cloud work for an image this
//!    size, that the user id is a [`UserId`] (it names the upload folder)
//!    and that the month's quota is not used up;
//! 4. only then hands the job to the cloud processor — through a
//!    [`CloudGate`] that cannot be called without the policy's
//!    [`Allow`] — after carrying out the `Allow`'s obligations (metadata is
//!    stripped before upload; the processor must delete the upload after
//!    processing);
//! 5. writes a [`ProcessingRecord`] for every job, refused ones included.
//!
//! When the cloud is refused, **no byte leaves the device**: the refusal
//! happens before the cloud processor is reached.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pixmize_auth::{Entitlements, MemoryQuota, PlanTable, QuotaCounter, SessionClaims};
use pixmize_core::codec::{self, Limits};
use pixmize_core::{Job, LocalProcessor, Processed, Processor, Support, Transformation};
use pixmize_policy::{Allow, ConsentRequirement, ConsentSnapshot, Decision, Deny, Policy, Query};

use crate::error::{Denied, Error, Rule};
use crate::record::{MemorySink, Outcome, ProcessingRecord, RecordSink, redacted};
use crate::rights::UserId;

/// The fideslang purpose of image processing in the Pixmize policy.
pub const IMAGE_PROCESSING: &str = "essential.service.image_processing";

/// Where the user wants images processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Preference {
    /// Never in the cloud.
    DeviceOnly,
    /// On the device when it can; in the cloud when it must and may.
    #[default]
    Automatic,
    /// In the cloud when allowed, on the device otherwise.
    PreferCloud,
}

/// Who is asking, what they may do and what they chose.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Context {
    /// The verified user id (`sub`), or `None` when anonymous. Only an id
    /// that is a [`UserId`] (as Clerk's are) may have jobs run in the cloud,
    /// where it names the upload folder; the device runs anyone's jobs.
    pub user: Option<String>,
    /// What the user's plan allows.
    pub entitlements: Entitlements,
    /// Device, automatic or cloud.
    pub preference: Preference,
    /// The user's consent choices (the policy's preferences).
    pub consent: ConsentSnapshot,
}

impl Context {
    /// An anonymous caller with `entitlements`.
    #[must_use]
    pub fn anonymous(entitlements: Entitlements) -> Context {
        Context {
            user: None,
            entitlements,
            preference: Preference::Automatic,
            consent: ConsentSnapshot::new(),
        }
    }

    /// A signed-in user with `entitlements`. The cloud refuses the jobs of
    /// an `id` that is not a [`UserId`] ([`Rule::InvalidUserId`]).
    #[must_use]
    pub fn user(id: impl Into<String>, entitlements: Entitlements) -> Context {
        Context {
            user: Some(id.into()),
            entitlements,
            preference: Preference::Automatic,
            consent: ConsentSnapshot::new(),
        }
    }

    /// Sets the preference.
    #[must_use]
    pub fn with_preference(mut self, preference: Preference) -> Context {
        self.preference = preference;
        self
    }

    /// Sets the consent state.
    #[must_use]
    pub fn with_consent(mut self, consent: ConsentSnapshot) -> Context {
        self.consent = consent;
        self
    }
}

/// A processor that sends images to a cloud recipient the policy knows.
#[async_trait::async_trait]
pub trait CloudProcessor: Send + Sync {
    /// The policy's id of the recipient (e.g. `imagekit`).
    fn recipient(&self) -> &str;

    /// Which parameters it can run.
    fn supports(&self, t: &Transformation) -> Support;

    /// Whether every upload is deleted as soon as processing has finished.
    fn deletes_after_processing(&self) -> bool;

    /// Runs `job` for `user` (who may own the upload's folder), under the
    /// policy's `allow`.
    ///
    /// The [`Allow`] is the proof that the policy permitted this transfer:
    /// only [`Policy::decide`] makes one, so no caller — the router or any
    /// other code — can reach a cloud processor without having asked the
    /// policy. Implementations must refuse an `allow` whose recipient is
    /// not [`recipient`](CloudProcessor::recipient) (see [`check_allow`]),
    /// and must carry out its obligations they are responsible for
    /// (deletion after processing).
    ///
    /// The call, with the permit the policy gave:
    ///
    /// ```
    /// # use pixmize::CloudProcessor;
    /// # use pixmize::engine::Job;
    /// # use pixmize::policy::ConsentSnapshot;
    /// # type BoxError = Box<dyn std::error::Error>;
    /// # async fn f(cloud: &dyn CloudProcessor, job: Job, consent: &ConsentSnapshot) -> Result<(), BoxError> {
    /// use pixmize::policy::{Allow, Decision, Policy, Query};
    /// let query = Query::to(cloud.recipient(), pixmize::IMAGE_PROCESSING).data("user.content.private");
    /// let decision = Policy::pixmize().decide(&query, consent);
    /// let allow: Allow = match decision {
    ///     Decision::Allow(allow) => allow,
    ///     Decision::Deny(deny) => return Err(deny.to_string().into()),
    /// };
    /// cloud.process_for(&allow, job, None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// The same call does not compile with a permit made by hand (no
    /// constructor, no `Default`, private fields)…
    ///
    /// ```compile_fail,E0599
    /// # use pixmize::CloudProcessor;
    /// # use pixmize::engine::Job;
    /// # use pixmize::policy::ConsentSnapshot;
    /// # type BoxError = Box<dyn std::error::Error>;
    /// # async fn f(cloud: &dyn CloudProcessor, job: Job, consent: &ConsentSnapshot) -> Result<(), BoxError> {
    /// use pixmize::policy::{Allow, Decision, Policy, Query};
    /// let query = Query::to(cloud.recipient(), pixmize::IMAGE_PROCESSING).data("user.content.private");
    /// let decision = Policy::pixmize().decide(&query, consent);
    /// let allow: Allow = Allow::default(); // forged: the decision is ignored
    /// cloud.process_for(&allow, job, None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// …nor with the policy's answer unread (a [`Decision`] may be a refusal):
    ///
    /// ```compile_fail,E0308
    /// # use pixmize::CloudProcessor;
    /// # use pixmize::engine::Job;
    /// # use pixmize::policy::ConsentSnapshot;
    /// # type BoxError = Box<dyn std::error::Error>;
    /// # async fn f(cloud: &dyn CloudProcessor, job: Job, consent: &ConsentSnapshot) -> Result<(), BoxError> {
    /// use pixmize::policy::{Allow, Decision, Policy, Query};
    /// let query = Query::to(cloud.recipient(), pixmize::IMAGE_PROCESSING).data("user.content.private");
    /// let decision = Policy::pixmize().decide(&query, consent);
    /// cloud.process_for(&decision, job, None).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The processor's error, or [`pixmize_core::Error::Backend`] when
    /// `allow` is for another recipient.
    async fn process_for(
        &self,
        allow: &Allow,
        job: Job,
        user: Option<&UserId>,
    ) -> Result<Processed, pixmize_core::Error>;
}

/// Checks that `allow` permits sending to `recipient`, for
/// [`CloudProcessor::process_for`] implementations.
///
/// # Errors
/// [`pixmize_core::Error::Backend`] naming both recipients when it does not.
pub fn check_allow(allow: &Allow, recipient: &str) -> Result<(), pixmize_core::Error> {
    match allow.recipient() {
        Some(r) if r.as_str() == recipient => Ok(()),
        other => Err(pixmize_core::Error::Backend(
            format!(
                "the policy's permit ({}) is for {}, not {recipient}",
                allow.clause().as_str(),
                other.map_or("the device", |r| r.as_str())
            )
            .into(),
        )),
    }
}

/// The router's way to a cloud processor: it needs an [`Allow`] from the
/// policy, which only [`Policy::decide`] can make.
struct CloudGate {
    processor: Arc<dyn CloudProcessor>,
}

impl CloudGate {
    async fn process(
        &self,
        allow: &Allow,
        job: Job,
        user: Option<&UserId>,
    ) -> Result<Processed, Error> {
        let recipient = self.processor.recipient();
        if allow.recipient().map(|r| r.as_str()) != Some(recipient) {
            return Err(Error::Denied(Denied {
                rule: Rule::Policy {
                    clause: allow.clause().as_str().to_owned(),
                    version: allow.policy_version().into(),
                },
                message: format!("the permit is not for {recipient}"),
            }));
        }
        self.processor
            .process_for(allow, job, user)
            .await
            .map_err(|source| Error::Cloud { recipient: recipient.to_owned(), source })
    }
}

/// A job's result and its record.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Routed {
    /// The processed image.
    pub processed: Processed,
    /// The record written for it.
    pub record: ProcessingRecord,
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Picks the device or the cloud for each job. Build with [`Hybrid::builder`].
pub struct Hybrid {
    device: LocalProcessor,
    cloud: Option<CloudGate>,
    policy: Arc<Policy>,
    plans: PlanTable,
    quota: Arc<dyn QuotaCounter>,
    records: Arc<dyn RecordSink>,
    clock: Clock,
    purpose: String,
}

impl std::fmt::Debug for Hybrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hybrid")
            .field("device", &self.device)
            .field("cloud", &self.cloud.as_ref().map(|c| c.processor.recipient().to_owned()))
            .field("policy_version", &self.policy.version())
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Hybrid`].
#[must_use]
pub struct HybridBuilder {
    device: LocalProcessor,
    cloud: Option<Arc<dyn CloudProcessor>>,
    policy: Arc<Policy>,
    plans: PlanTable,
    quota: Option<Arc<dyn QuotaCounter>>,
    records: Option<Arc<dyn RecordSink>>,
    clock: Clock,
    purpose: String,
}

impl std::fmt::Debug for HybridBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HybridBuilder")
            .field("policy_version", &self.policy.version())
            .finish_non_exhaustive()
    }
}

impl Hybrid {
    /// A builder with the embedded Pixmize policy, the default plan table,
    /// an in-memory quota counter and an in-memory record sink, and no
    /// cloud processor.
    pub fn builder() -> HybridBuilder {
        HybridBuilder {
            device: LocalProcessor::new(),
            cloud: None,
            policy: Arc::new(Policy::pixmize().clone()),
            plans: PlanTable::default(),
            quota: None,
            records: None,
            clock: Arc::new(SystemTime::now),
            purpose: IMAGE_PROCESSING.to_owned(),
        }
    }

    /// The context of a verified session's claims (from
    /// [`SessionVerifier::verify`](pixmize_auth::SessionVerifier::verify), or
    /// `VerifiedSession::claims` behind the axum layer): its user id and the
    /// entitlements its plans and features grant.
    #[must_use]
    pub fn context(&self, claims: &SessionClaims) -> Context {
        Context::user(claims.sub.clone(), self.plans.entitlements(Some(claims)))
    }

    /// The context of an anonymous caller.
    #[must_use]
    pub fn anonymous(&self) -> Context {
        Context::anonymous(self.plans.entitlements(None))
    }

    /// The policy in force.
    #[must_use]
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The record sink.
    #[must_use]
    pub fn records(&self) -> &Arc<dyn RecordSink> {
        &self.records
    }

    /// Runs `job` where the policy, the plan and the preference allow.
    ///
    /// # Errors
    /// [`Error::Denied`] naming the rule when the job needs the cloud and
    /// may not go there (nothing left the device); [`Error::Input`] when
    /// the image's header cannot be read; [`Error::Device`] or
    /// [`Error::Cloud`] when processing fails; [`Error::Record`] when the
    /// record cannot be written.
    pub async fn run(&self, job: Job, ctx: &Context) -> Result<Routed, Error> {
        let now = (self.clock)();
        let mut record = ProcessingRecord {
            id: uuid::Uuid::new_v4().to_string(),
            at: now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            user: ctx.user.clone(),
            transformation: redacted(&job.transformation),
            location: "none".into(),
            decided_by: String::new(),
            // Device work is an activity of the policy too: every record
            // names the version in force.
            policy_version: Some(self.policy.version().to_owned()),
            input_bytes: job.input.len() as u64,
            outcome: Outcome::Denied { reason: String::new() },
        };
        let result = self.route(job, ctx, now, &mut record).await;
        match &result {
            Ok(p) => {
                record.outcome = Outcome::Processed {
                    format: p.format.extension().to_owned(),
                    width: p.width,
                    height: p.height,
                    bytes: p.bytes.len() as u64,
                };
            }
            Err(Error::Denied(d)) => {
                record.location = "none".into();
                record.decided_by = d.clause();
                record.outcome = Outcome::Denied { reason: d.message.clone() };
            }
            Err(e) => {
                if record.decided_by.is_empty() {
                    record.decided_by = match e {
                        Error::Unsupported { .. } => "unsupported".into(),
                        Error::Input(_) => "input".into(),
                        _ => "error".into(),
                    };
                }
                record.outcome = Outcome::Failed { error: e.to_string() };
            }
        }
        self.records.record(&record).map_err(Error::Record)?;
        result.map(|processed| Routed { processed, record })
    }

    async fn route(
        &self,
        job: Job,
        ctx: &Context,
        now: SystemTime,
        record: &mut ProcessingRecord,
    ) -> Result<Processed, Error> {
        let info = codec::probe(&job.input, &Limits::default()).map_err(Error::Input)?;
        let device_ok = self.device.supports(&job.transformation).is_full();
        if device_ok && ctx.preference != Preference::PreferCloud {
            return self.on_device(job, record, "device:supported").await;
        }
        let cloud = match self
            .cloud_allowed(&job, ctx, u64::from(info.width) * u64::from(info.height), now)
            .await
        {
            Ok(c) => c,
            // Preferring the cloud is a preference: the device still runs
            // what it can.
            Err(Error::Denied(d)) if device_ok => {
                return self
                    .on_device(job, record, &format!("device:fallback ({})", d.clause()))
                    .await;
            }
            Err(Error::Unsupported { cloud, .. }) if device_ok => {
                let why = cloud.map_or("no cloud processor".to_owned(), |c| format!("{c} cannot"));
                return self.on_device(job, record, &format!("device:fallback ({why})")).await;
            }
            Err(e) => return Err(e),
        };
        let (gate, allow, user) = cloud;
        let user_key = id_or_anonymous(user.as_ref());
        let mut job = job;
        if allow.must_strip_metadata() {
            match codec::strip_metadata(&job.input) {
                Ok(stripped) => job.input = stripped,
                Err(e) => {
                    // Nothing left the device and no work was done: give
                    // the quota back.
                    self.quota.refund(user_key, 1, now).await;
                    return Err(Error::Input(e));
                }
            }
        }
        record.location = format!("cloud:{}", gate.processor.recipient());
        record.decided_by = format!("policy:{}", allow.clause().as_str());
        match gate.process(&allow, job, user.as_ref()).await {
            Ok(p) => Ok(p),
            Err(e) => {
                // The work was not done: give the quota back.
                self.quota.refund(user_key, 1, now).await;
                Err(e)
            }
        }
    }

    async fn on_device(
        &self,
        job: Job,
        record: &mut ProcessingRecord,
        why: &str,
    ) -> Result<Processed, Error> {
        record.location = "device".into();
        record.decided_by = why.to_owned();
        self.device.process(job).await.map_err(Error::Device)
    }

    /// Every check before the cloud: preference, policy, plan,
    /// obligations, user id, quota. Returns the gate, the permit and the
    /// user.
    async fn cloud_allowed(
        &self,
        job: &Job,
        ctx: &Context,
        pixels: u64,
        now: SystemTime,
    ) -> Result<(&CloudGate, Allow, Option<UserId>), Error> {
        let denied = |rule: Rule, message: String| Error::Denied(Denied { rule, message });
        let Some(gate) = &self.cloud else {
            return Err(Error::Unsupported {
                params: keys(self.device.supports(&job.transformation).missing()),
                cloud: None,
            });
        };
        if let Support::NeedsCloud(missing) = gate.processor.supports(&job.transformation) {
            return Err(Error::Unsupported {
                params: keys(&missing),
                cloud: Some(gate.processor.recipient().to_owned()),
            });
        }
        let mut query =
            Query::to(gate.processor.recipient(), &self.purpose).data("user.content.private");
        if ctx.user.is_some() {
            query = query.data("user.unique_id");
        }
        let policy_denied = |d: Deny| {
            denied(
                Rule::Policy {
                    clause: d.clause().as_str().to_owned(),
                    version: self.policy.version().to_owned(),
                },
                d.to_string(),
            )
        };
        let decision = self.policy.decide(&query, &ctx.consent);
        if ctx.preference == Preference::DeviceOnly {
            // The user chose the device. The refusal cites the clause that
            // makes cloud processing a choice: the policy's own refusal, or,
            // when the consent is given, the refusal the policy gives once
            // that consent is set aside.
            let clause = match &decision {
                Decision::Deny(d) => d.clause().as_str().to_owned(),
                Decision::Allow(a) => {
                    let mut consent = ctx.consent.clone();
                    if let Some(act) = self.policy.activity(a.activity().as_str()) {
                        match &act.consent {
                            ConsentRequirement::OptIn { preference }
                            | ConsentRequirement::OptOut { preference } => {
                                consent.withdraw(preference.as_str());
                            }
                            ConsentRequirement::NotRequired => {}
                        }
                    }
                    match self.policy.decide(&query, &consent) {
                        Decision::Deny(d) => d.clause().as_str().to_owned(),
                        Decision::Allow(a) => a.clause().as_str().to_owned(),
                    }
                }
            };
            return Err(denied(
                Rule::Policy { clause, version: self.policy.version().to_owned() },
                "the user chose to process images on the device only".into(),
            ));
        }
        let allow = match decision {
            Decision::Deny(d) => return Err(policy_denied(d)),
            Decision::Allow(a) => a,
        };
        if let Err(e) = ctx.entitlements.allows_cloud(pixels) {
            let rule = match e {
                pixmize_auth::EntitlementError::TooLarge { .. } => Rule::PlanTooLarge,
                _ => Rule::PlanCloudNotIncluded,
            };
            return Err(denied(rule, e.to_string()));
        }
        if allow.deletion().is_some() && !gate.processor.deletes_after_processing() {
            return Err(denied(
                Rule::Obligation,
                "the policy requires deleting uploads after processing".into(),
            ));
        }
        // The id names the upload folder (and the quota): only a `UserId`
        // names one of its own.
        let user = match ctx.user.as_deref().map(UserId::new).transpose() {
            Ok(user) => user,
            Err(e) => {
                return Err(denied(
                    Rule::InvalidUserId,
                    format!("{e}, so it cannot name an upload folder of its own"),
                ));
            }
        };
        let user_key = id_or_anonymous(user.as_ref());
        if let Err(e) =
            self.quota.try_consume(user_key, 1, ctx.entitlements.monthly_cloud_quota, now).await
        {
            return Err(denied(Rule::PlanQuota, e.to_string()));
        }
        Ok((gate, allow, user))
    }
}

impl HybridBuilder {
    /// Uses `policy` instead of the embedded Pixmize policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// The device engine (default [`LocalProcessor::new`]).
    pub fn device(mut self, device: LocalProcessor) -> Self {
        self.device = device;
        self
    }

    /// The cloud processor.
    pub fn cloud(mut self, cloud: impl CloudProcessor + 'static) -> Self {
        self.cloud = Some(Arc::new(cloud));
        self
    }

    /// The plan table mapping sessions to entitlements.
    pub fn plans(mut self, plans: PlanTable) -> Self {
        self.plans = plans;
        self
    }

    /// The quota counter (default an in-memory one).
    pub fn quota(mut self, quota: Arc<dyn QuotaCounter>) -> Self {
        self.quota = Some(quota);
        self
    }

    /// Where records go (default in memory).
    pub fn records(mut self, records: Arc<dyn RecordSink>) -> Self {
        self.records = Some(records);
        self
    }

    /// The clock (default [`SystemTime::now`]).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The purpose asked of the policy (default [`IMAGE_PROCESSING`]).
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = purpose.into();
        self
    }

    /// The router.
    #[must_use]
    pub fn build(self) -> Hybrid {
        Hybrid {
            device: self.device,
            cloud: self.cloud.map(|processor| CloudGate { processor }),
            policy: self.policy,
            plans: self.plans,
            quota: self.quota.unwrap_or_else(|| Arc::new(MemoryQuota::new())),
            records: self.records.unwrap_or_else(|| Arc::new(MemorySink::new())),
            clock: self.clock,
            purpose: self.purpose,
        }
    }
}

/// ImageKit as the cloud processor: uploads go to a folder named after the
/// user (`/pixmize-tmp/<user>`, `/pixmize-tmp/anonymous`), so deleting an
/// account can delete everything left behind, and uploads are deleted
/// after processing.
#[cfg(feature = "imagekit")]
#[derive(Debug, Clone)]
pub struct ImageKitCloud {
    processor: pixmize_imagekit::ImageKitProcessor,
    options: pixmize_imagekit::ProcessorOptions,
}

#[cfg(feature = "imagekit")]
impl ImageKitCloud {
    /// Uploads under `/pixmize-tmp/<user>`, deleted after processing.
    ///
    /// # Errors
    /// When the client lacks the private key or the URL endpoint.
    pub fn new(
        client: pixmize_imagekit::ImageKit,
    ) -> Result<ImageKitCloud, pixmize_imagekit::Error> {
        let options = pixmize_imagekit::ProcessorOptions::default();
        Ok(ImageKitCloud { processor: pixmize_imagekit::ImageKitProcessor::new(client)?, options })
    }

    /// The folder of `user`'s temporary uploads.
    #[must_use]
    pub fn folder_for(&self, user: Option<&UserId>) -> String {
        user_folder(&self.options.folder, user)
    }
}

/// The distinct keys of `missing`, in order.
fn keys(missing: &[pixmize_core::CloudOnly]) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for m in missing {
        if !keys.contains(&m.key) {
            keys.push(m.key);
        }
    }
    keys
}

/// The folder of `user`'s uploads: `base/<user>`, or `base/anonymous` for
/// anonymous callers.
///
/// The id is used as it is: a [`UserId`] is already safe in a path, and is
/// never `anonymous`, so distinct users never share a folder and no user
/// shares the anonymous one. (Ids that are not `UserId`s get no folder: the
/// router refuses their cloud jobs with [`Rule::InvalidUserId`].)
///
/// ```
/// use pixmize::{UserId, user_folder};
/// let user = UserId::new("user_2x")?;
/// assert_eq!(user_folder("/pixmize-tmp/", Some(&user)), "/pixmize-tmp/user_2x");
/// assert_eq!(user_folder("/pixmize-tmp", None), "/pixmize-tmp/anonymous");
/// # Ok::<(), pixmize::InvalidUserId>(())
/// ```
#[must_use]
pub fn user_folder(base: &str, user: Option<&UserId>) -> String {
    format!("{}/{}", base.trim_end_matches('/'), id_or_anonymous(user))
}

/// The folder and quota key of anonymous callers; [`UserId`] refuses it.
pub(crate) const ANONYMOUS: &str = "anonymous";

/// The folder name and quota key of `user`: the id, or `anonymous`.
fn id_or_anonymous(user: Option<&UserId>) -> &str {
    user.map_or(ANONYMOUS, UserId::as_str)
}

#[cfg(feature = "imagekit")]
#[async_trait::async_trait]
impl CloudProcessor for ImageKitCloud {
    fn recipient(&self) -> &str {
        pixmize_imagekit::RECIPIENT
    }

    fn supports(&self, t: &Transformation) -> Support {
        Processor::supports(&self.processor, t)
    }

    fn deletes_after_processing(&self) -> bool {
        !self.options.keep_uploads
    }

    async fn process_for(
        &self,
        allow: &Allow,
        job: Job,
        user: Option<&UserId>,
    ) -> Result<Processed, pixmize_core::Error> {
        check_allow(allow, pixmize_imagekit::RECIPIENT)?;
        let mut options = self.options.clone();
        options.folder = self.folder_for(user);
        self.processor.clone().options(options).process(job).await
    }
}
