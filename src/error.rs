//! Errors of the `pixmize` facade.

use std::fmt;

/// A boxed error from a record sink or another backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Errors of the hybrid router and of the account-rights helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The job may not run where it would have to: nothing left the device.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The job needs the cloud and no processor can run it: no cloud
    /// processor is configured, or it lacks a parameter too. This is not a
    /// refusal (nothing decided against it); nothing left the device.
    #[error("{} cannot run on the device and {}", keys(.params), no_cloud(.cloud.as_deref()))]
    Unsupported {
        /// The parameters the device cannot run, e.g. `e-bgremove`.
        params: Vec<&'static str>,
        /// The cloud recipient that cannot run them either, or `None` when
        /// no cloud processor is configured.
        cloud: Option<String>,
    },
    /// The input could not be read (its header or its container), before
    /// anything left the device.
    #[error("cannot read the input image")]
    Input(#[source] pixmize_core::Error),
    /// The device engine failed.
    #[error("processing on the device failed")]
    Device(#[source] pixmize_core::Error),
    /// The cloud processor failed (after the policy allowed the upload).
    #[error("processing in the cloud ({recipient}) failed")]
    Cloud {
        /// The policy's recipient id, e.g. `imagekit`.
        recipient: String,
        /// The processor's error.
        #[source]
        source: pixmize_core::Error,
    },
    /// A processing record could not be written.
    #[error("cannot write the processing record")]
    Record(#[source] BoxError),
    /// A remote service used by an account right failed.
    #[error("{service} request failed")]
    Service {
        /// `clerk` or `imagekit`.
        service: &'static str,
        /// The client's error.
        #[source]
        source: BoxError,
    },
}

/// Why a job was refused, naming the rule that decided: a clause of the
/// privacy policy, a rule of the user's plan, or the user id that cannot
/// name an upload folder. Nothing left the device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("denied by {rule}: {message}")]
#[non_exhaustive]
pub struct Denied {
    /// The rule.
    pub rule: Rule,
    /// A human-readable explanation.
    pub message: String,
}

impl Denied {
    /// The rule's id, e.g. `policy:activity-cloud_processing` or
    /// `plan:monthly-quota` (as written in processing records).
    #[must_use]
    pub fn clause(&self) -> String {
        self.rule.to_string()
    }

    /// The policy clause (its anchor, e.g. `activity-cloud_processing`),
    /// when the policy decided.
    #[must_use]
    pub fn policy_clause(&self) -> Option<&str> {
        match &self.rule {
            Rule::Policy { clause, .. } => Some(clause),
            _ => None,
        }
    }
}

/// The rule that refused a job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A clause of the privacy policy (its anchor on the policy page).
    Policy {
        /// The anchor, e.g. `activity-cloud_processing`.
        clause: String,
        /// The policy version that decided.
        version: String,
    },
    /// The user's plan does not include cloud processing.
    PlanCloudNotIncluded,
    /// The image is larger than the plan allows in the cloud.
    PlanTooLarge,
    /// The plan's monthly cloud quota is used up.
    PlanQuota,
    /// The cloud processor cannot carry out an obligation of the policy's
    /// permit (e.g. deleting uploads after processing).
    Obligation,
    /// The user id is not a [`UserId`](crate::UserId), so it cannot name an
    /// upload folder of its own: in the cloud it could share a folder with
    /// another user or with the anonymous uploads.
    InvalidUserId,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Policy { clause, .. } => write!(f, "policy:{clause}"),
            Rule::PlanCloudNotIncluded => f.write_str("plan:cloud-not-included"),
            Rule::PlanTooLarge => f.write_str("plan:max-megapixels"),
            Rule::PlanQuota => f.write_str("plan:monthly-quota"),
            Rule::Obligation => f.write_str("policy:obligation"),
            Rule::InvalidUserId => f.write_str("user:invalid-id"),
        }
    }
}

fn keys(params: &[&str]) -> String {
    let quoted: Vec<String> = params.iter().map(|k| format!("`{k}`")).collect();
    if quoted.is_empty() { "the transformation".to_owned() } else { quoted.join(", ") }
}

fn no_cloud(cloud: Option<&str>) -> String {
    match cloud {
        Some(recipient) => format!("{recipient} cannot run it either"),
        None => "no cloud processor is configured".to_owned(),
    }
}

const _: () = {
    const fn ok<T: Send + Sync + 'static>() {}
    ok::<Error>();
};
