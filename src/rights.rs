//! Account rights in code: export a user's data as one JSON document, and
//! delete it everywhere Pixmize keeps it.
//!
//! A Pixmize user's data lives in three places: the **Clerk** user (the
//! profile with its public, private and unsafe metadata), the
//! **processing records** (the [`RecordSink`] shared with the router) and,
//! when cloud processing left anything behind, the user's **ImageKit**
//! folder (`/pixmize-tmp/<user>`, see [`user_folder`](crate::user_folder)).
//! [`AccountRights`] reads all three ([`AccountRights::export`]) and erases
//! all three ([`AccountRights::delete`]). Both are idempotent.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pixmize_auth::{BackendClient, User};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::record::{ProcessingRecord, RecordSink};

/// The `format` of an [`AccountExport`].
pub const EXPORT_FORMAT: &str = "pixmize.account-export";

/// The `version` of the [`AccountExport`] this crate writes. It grows when
/// a field changes meaning or is removed; new fields may appear without a
/// new version.
pub const EXPORT_VERSION: u32 = 1;

/// The longest user id accepted (Clerk's ids are about 32 characters).
const MAX_USER_ID: usize = 128;

/// A user id that names exactly one user's data.
///
/// Clerk user ids look like `user_2NNEqL2nrIRdJ194ndJqAHwEfxC`. An id is
/// accepted when it has 1 to 128 characters, all ASCII letters, digits,
/// `_` or `-`, and is not `anonymous`. These are exactly the ids that may
/// name an upload folder: [`user_folder`](crate::user_folder) takes a
/// `UserId` and uses it as it is, and the router refuses cloud work for any
/// other id ([`Rule::InvalidUserId`](crate::Rule::InvalidUserId)). So two
/// ids never share an ImageKit folder, and no id names the folder of
/// anonymous uploads: deleting one user can never delete another's files.
///
/// ```
/// use pixmize::UserId;
/// let id: UserId = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC".parse()?;
/// assert_eq!(id.as_str(), "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
/// assert!(UserId::new("user.a").is_err(), "would share a folder with user_a");
/// assert!(UserId::new("anonymous").is_err(), "the folder of anonymous uploads");
/// # Ok::<(), pixmize::InvalidUserId>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// Checks `id`.
    ///
    /// # Errors
    /// [`InvalidUserId`] when `id` is empty, longer than 128 characters,
    /// has a character other than ASCII letters, digits, `_` and `-`, or is
    /// `anonymous`.
    pub fn new(id: impl Into<String>) -> Result<UserId, InvalidUserId> {
        let id = id.into();
        let reason = if id.is_empty() {
            "it is empty"
        } else if id.len() > MAX_USER_ID {
            "it is longer than 128 characters"
        } else if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            "it has a character other than ASCII letters, digits, `_` and `-`"
        } else if id == crate::hybrid::ANONYMOUS {
            "`anonymous` names the folder of anonymous uploads"
        } else {
            return Ok(UserId(id));
        };
        Err(InvalidUserId { reason })
    }

    /// The id.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for UserId {
    type Err = InvalidUserId;

    fn from_str(s: &str) -> Result<UserId, InvalidUserId> {
        UserId::new(s)
    }
}

impl AsRef<str> for UserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for UserId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<UserId, D::Error> {
        UserId::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// A string that is not an acceptable [`UserId`]. It does not repeat the
/// string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid user id: {reason}")]
pub struct InvalidUserId {
    reason: &'static str,
}

/// Everything Pixmize keeps about one user, as one JSON document (the
/// right of access and the right to data portability).
///
/// ```json
/// {"format": "pixmize.account-export", "version": 1, "user_id": "user_…",
///  "generated_at": 1767225600, "profile": {"id": "user_…", "public_metadata": {…}, …},
///  "stored_files": [], "processing_records": [{"id": "…", "at": 1767225000, …}]}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountExport {
    /// Always [`EXPORT_FORMAT`].
    pub format: String,
    /// [`EXPORT_VERSION`] when this crate wrote it.
    pub version: u32,
    /// The user.
    pub user_id: UserId,
    /// When the export was made, in seconds since the Unix epoch (as
    /// [`ProcessingRecord::at`]; the profile's own times are Clerk's
    /// milliseconds).
    pub generated_at: u64,
    /// The Clerk user as the Backend API returned it, with its public,
    /// private and unsafe metadata; `None` when Clerk has no such user
    /// (never created, or already deleted). The profile holds the fields
    /// [`pixmize_auth::User`] models.
    pub profile: Option<User>,
    /// Files left in the user's ImageKit folder (uploads are normally
    /// deleted right after processing, so this is usually empty); `None`
    /// when no ImageKit client is configured. Names and sizes only, never
    /// the bytes.
    pub stored_files: Option<Vec<StoredFile>>,
    /// The user's processing records, oldest first.
    pub processing_records: Vec<ProcessingRecord>,
}

/// A file in the user's ImageKit folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredFile {
    /// ImageKit's file id.
    pub file_id: String,
    /// The path, e.g. `/pixmize-tmp/user_…/photo_a1B2c3D4e5.jpg`.
    pub file_path: String,
    /// Size in bytes, when ImageKit says.
    pub size: Option<u64>,
    /// Upload time as ImageKit writes it (ISO 8601), when it says.
    pub created_at: Option<String>,
}

/// What one [`AccountRights::delete`] call deleted. A call that finds
/// nothing left (a repeated deletion) reports nothing:
/// [`DeletionReport::is_empty`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletionReport {
    /// The files found in the user's ImageKit folder and deleted with it.
    pub files: Vec<StoredFile>,
    /// The ImageKit folder, when this call deleted it.
    pub folder: Option<String>,
    /// How many lines of processing records were deleted (torn lines that
    /// name the user included).
    pub records: usize,
    /// Whether this call deleted the Clerk user (`false` when Clerk had no
    /// such user any more).
    pub profile: bool,
}

impl DeletionReport {
    /// Whether this call deleted nothing (everything was already gone).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.folder.is_none() && self.records == 0 && !self.profile
    }
}

/// Exports and deletes a user's data: the Clerk user, the processing
/// records and the user's ImageKit folder.
///
/// Share the router's record sink ([`Hybrid::records`](crate::Hybrid::records))
/// and, with the **imagekit** feature, give it the client and folder base
/// the cloud processor uses ([`AccountRights::imagekit`],
/// [`AccountRights::folder_base`]; `/pixmize-tmp` by default, as
/// [`ImageKitCloud`](crate::ImageKitCloud)).
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// # use wiremock::{Mock, MockServer, ResponseTemplate, matchers::{method, path}};
/// # let clerk_api = MockServer::start().await;
/// # let user = serde_json::json!({"object": "user", "id": "user_2x", "first_name": "Ada",
/// #     "public_metadata": {"plan": "pro"}, "private_metadata": {}, "unsafe_metadata": {}});
/// # Mock::given(method("GET")).and(path("/v1/users/user_2x"))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(&user)).mount(&clerk_api).await;
/// # Mock::given(method("DELETE")).and(path("/v1/users/user_2x"))
/// #     .respond_with(ResponseTemplate::new(200).set_body_json(
/// #         serde_json::json!({"object": "user", "id": "user_2x", "deleted": true})))
/// #     .up_to_n_times(1).mount(&clerk_api).await;
/// # let emulator = pixmize_imagekit::emulator::Emulator::start().await?;
/// # let imagekit = emulator.client()?;
/// use std::sync::Arc;
/// use pixmize::{AccountRights, Hybrid, UserId, auth::BackendClient};
///
/// let router = Hybrid::builder().build();
/// let clerk = BackendClient::builder()
///     .secret_key("sk_test_…")
/// #   .base_url(format!("{}/v1", clerk_api.uri()))
///     .build()?;
/// let rights = AccountRights::new(clerk, Arc::clone(router.records())).imagekit(imagekit);
///
/// let user = UserId::new("user_2x")?; // the verified session's `sub`
/// let export = rights.export(&user).await?;
/// let profile = export.profile.as_ref().expect("Clerk knows the user");
/// assert_eq!(profile.public_metadata["plan"], "pro");
/// let document = serde_json::to_string_pretty(&export)?;
/// # assert!(document.contains("\"pixmize.account-export\""));
///
/// let report = rights.delete(&user).await?;
/// assert!(report.profile);
/// # Mock::given(method("DELETE")).and(path("/v1/users/user_2x"))
/// #     .respond_with(ResponseTemplate::new(404)).mount(&clerk_api).await;
/// assert!(rights.delete(&user).await?.is_empty(), "idempotent");
/// # Ok(()) }
/// # tokio::runtime::Runtime::new()?.block_on(run())?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AccountRights {
    clerk: BackendClient,
    records: Arc<dyn RecordSink>,
    #[cfg(feature = "imagekit")]
    imagekit: Option<pixmize_imagekit::ImageKit>,
    #[cfg(feature = "imagekit")]
    folder_base: String,
}

impl fmt::Debug for AccountRights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("AccountRights");
        d.field("clerk", &self.clerk);
        #[cfg(feature = "imagekit")]
        d.field("imagekit", &self.imagekit).field("folder_base", &self.folder_base);
        d.finish_non_exhaustive()
    }
}

impl AccountRights {
    /// Rights over the Clerk users of `clerk` and the records in `records`
    /// (the router's sink), without ImageKit.
    #[must_use]
    pub fn new(clerk: BackendClient, records: Arc<dyn RecordSink>) -> AccountRights {
        AccountRights {
            clerk,
            records,
            #[cfg(feature = "imagekit")]
            imagekit: None,
            #[cfg(feature = "imagekit")]
            folder_base: pixmize_imagekit::ProcessorOptions::default().folder,
        }
    }

    /// Also exports and deletes the user's ImageKit folder through
    /// `client`.
    #[cfg(feature = "imagekit")]
    #[must_use]
    pub fn imagekit(mut self, client: pixmize_imagekit::ImageKit) -> AccountRights {
        self.imagekit = Some(client);
        self
    }

    /// The base of the upload folders (default `/pixmize-tmp`, the
    /// default of [`ProcessorOptions::folder`](pixmize_imagekit::ProcessorOptions::folder));
    /// a user's folder is [`user_folder`](crate::user_folder)`(base, Some(user))`.
    #[cfg(feature = "imagekit")]
    #[must_use]
    pub fn folder_base(mut self, base: impl Into<String>) -> AccountRights {
        self.folder_base = base.into();
        self
    }

    /// The ImageKit folder of `user`.
    #[cfg(feature = "imagekit")]
    #[must_use]
    pub fn folder_for(&self, user: &UserId) -> String {
        crate::hybrid::user_folder(&self.folder_base, Some(user))
    }

    /// Everything kept about `user`, generated now. Reads only.
    ///
    /// # Errors
    /// As [`AccountRights::export_at`].
    pub async fn export(&self, user: &UserId) -> Result<AccountExport, Error> {
        self.export_at(user, SystemTime::now()).await
    }

    /// Everything kept about `user`, stamped `now`. Reads only, so calling
    /// it again gives the same document (for the same `now` and data).
    ///
    /// A user Clerk does not know (404) is not an error: the export has no
    /// profile and still carries whatever records or files remain, which
    /// is what a partly finished deletion leaves.
    ///
    /// # Errors
    /// [`Error::Service`] (`clerk`) when Clerk fails with anything but a
    /// 404; [`Error::Service`] (`imagekit`) when the folder cannot be
    /// listed; [`Error::Record`] when the records cannot be read.
    pub async fn export_at(&self, user: &UserId, now: SystemTime) -> Result<AccountExport, Error> {
        let profile = match self.clerk.get_user(user.as_str()).await {
            Ok(profile) => Some(profile),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(clerk(e)),
        };
        let stored_files = self.stored_files(user).await?;
        let processing_records = self.records.records_for(user.as_str()).map_err(Error::Record)?;
        Ok(AccountExport {
            format: EXPORT_FORMAT.to_owned(),
            version: EXPORT_VERSION,
            user_id: user.clone(),
            generated_at: now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            profile,
            stored_files,
            processing_records,
        })
    }

    /// Deletes everything kept about `user`, in this order:
    ///
    /// 1. the user's ImageKit folder with every file in it (the images
    ///    themselves, the most sensitive data, go first);
    /// 2. the processing records;
    /// 3. the Clerk user, **last**: as long as any step fails, the user
    ///    still exists, so a retry (by the user, signed in, or by an
    ///    operator) finds what is left, and [`AccountRights::export`]
    ///    still works.
    ///
    /// Each step treats "already gone" as done (a missing folder, no
    /// records, a Clerk 404), so the call is idempotent: after a failure,
    /// call it again; after a success, a second call succeeds with an
    /// empty report. A failed call returns the error of the step that
    /// failed; the steps before it are done and will report nothing on
    /// the retry.
    ///
    /// Until the Clerk user is deleted, the user can still sign in and run
    /// jobs; a cloud job running during the deletion may leave a file
    /// behind (uploads are deleted after processing anyway). Stop
    /// accepting the user's jobs first if that matters.
    ///
    /// # Errors
    /// [`Error::Service`] (`imagekit`) when the folder cannot be listed or
    /// deleted; [`Error::Record`] when the records cannot be deleted;
    /// [`Error::Service`] (`clerk`) when Clerk fails with anything but a
    /// 404. Client errors hold no keys.
    pub async fn delete(&self, user: &UserId) -> Result<DeletionReport, Error> {
        let (files, folder) = self.delete_folder(user).await?;
        let records = self.records.delete_for(user.as_str()).map_err(Error::Record)?;
        let profile = match self.clerk.delete_user(user.as_str()).await {
            Ok(_) => true,
            Err(e) if e.is_not_found() => false,
            Err(e) => return Err(clerk(e)),
        };
        Ok(DeletionReport { files, folder, records, profile })
    }

    /// Deletes the user's ImageKit folder: the files that were in it and
    /// the folder, when it existed; nothing without ImageKit.
    async fn delete_folder(
        &self,
        user: &UserId,
    ) -> Result<(Vec<StoredFile>, Option<String>), Error> {
        #[cfg(feature = "imagekit")]
        if let Some(imagekit) = &self.imagekit {
            let folder = self.folder_for(user);
            let files = self.stored_files(user).await?.unwrap_or_default();
            // `DELETE /v1/folder` deletes the folder with everything in it
            // (ImageKit's folder API), including files uploaded after the
            // listing; a 404 means there is no such folder.
            return match imagekit.delete_folder(&folder).await {
                Ok(()) => Ok((files, Some(folder))),
                Err(e) if e.is_not_found() => Ok((files, None)),
                Err(e) => Err(imagekit_error(e)),
            };
        }
        #[cfg(not(feature = "imagekit"))]
        let _ = user;
        Ok((Vec::new(), None))
    }

    /// The files directly in the user's folder; `None` without ImageKit.
    async fn stored_files(&self, user: &UserId) -> Result<Option<Vec<StoredFile>>, Error> {
        #[cfg(feature = "imagekit")]
        if let Some(imagekit) = &self.imagekit {
            use pixmize_imagekit::{Asset, ListQuery, ListType};
            const PAGE: u32 = 1000;
            let query = ListQuery::new().kind(ListType::File).path(self.folder_for(user));
            let mut files = Vec::new();
            let mut skip = 0u32;
            loop {
                let page = imagekit
                    .list_files(&query.clone().limit(PAGE).skip(skip))
                    .await
                    .map_err(imagekit_error)?;
                let n = u32::try_from(page.len()).unwrap_or(u32::MAX);
                files.extend(page.into_iter().filter_map(|asset| match asset {
                    Asset::File(f) => Some(StoredFile {
                        file_id: f.file_id.as_str().to_owned(),
                        file_path: f.file_path,
                        size: f.size,
                        created_at: f.created_at,
                    }),
                    _ => None,
                }));
                if n < PAGE {
                    return Ok(Some(files));
                }
                skip = skip.saturating_add(n);
            }
        }
        #[cfg(not(feature = "imagekit"))]
        let _ = user;
        Ok(None)
    }
}

fn clerk(e: pixmize_auth::BackendError) -> Error {
    Error::Service { service: "clerk", source: Box::new(e) }
}

#[cfg(feature = "imagekit")]
fn imagekit_error(e: pixmize_imagekit::Error) -> Error {
    Error::Service { service: "imagekit", source: Box::new(e) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hybrid::user_folder;

    #[test]
    fn user_ids() {
        const CASES: &[(&str, bool)] = &[
            ("user_2NNEqL2nrIRdJ194ndJqAHwEfxC", true),
            ("user-a", true),
            ("a", true),
            ("", false),
            ("anonymous", false),
            ("Anonymous", true),
            ("user.a", false),
            ("user/a", false),
            ("../user_a", false),
            ("user a", false),
            ("usér", false),
        ];
        for (id, ok) in CASES {
            assert_eq!(UserId::new(*id).is_ok(), *ok, "{id:?}");
            if *ok {
                let id = UserId::new(*id).unwrap();
                assert_eq!(user_folder("/base", Some(&id)), format!("/base/{id}"));
            }
        }
        assert!(UserId::new("u".repeat(128)).is_ok());
        assert!(UserId::new("u".repeat(129)).is_err());
    }

    #[test]
    fn invalid_user_id_does_not_echo_the_input() {
        let err = UserId::new("secret-looking value").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(serde_json::from_str::<UserId>("\"user.a\"").is_err());
        assert_eq!(serde_json::from_str::<UserId>("\"user_a\"").unwrap().as_str(), "user_a");
    }
}
