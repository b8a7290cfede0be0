//! [`ImageKitProcessor`]: runs a [`Job`] in ImageKit behind the same
//! [`Processor`] trait as the local engine.
//!
//! For each job it uploads the input as a **private** file with a fresh
//! random name into a temporary folder, fetches the **signed**,
//! short-lived URL of the transformed image, and deletes the upload
//! (unless told to keep it). A failure at any step still cleans up:
//!
//! * upload failed: the file may have been stored anyway (the answer was
//!   lost), so the processor looks it up by its path and deletes it;
//! * signing, fetching or reading failed: the upload is deleted;
//! * the delete itself failed after every retry: the error says so
//!   ([`Cleanup::Orphaned`]) and the event hook gets
//!   [`ProcessorEvent::CleanupFailed`] with the file id and path, so the
//!   caller can record it and delete it later.
//!
//! **Cancellation** (the future of [`ImageKitProcessor::process`] dropped,
//! by a timeout, a `select!` or an aborted task) cleans up too: a guard
//! armed from the moment the upload is sent schedules the same cleanup
//! with `tokio::spawn` on the current runtime when it is dropped armed.
//! Dropped after the upload answered, it deletes that file; dropped while
//! the upload was in flight, it looks the file up by its unique path and
//! deletes it if ImageKit stored it (a lookup that runs before ImageKit
//! finishes storing can miss it: the uploads are tagged
//! [`ProcessorOptions::tags`] so that a sweep finds such leftovers).
//! Dropped outside a Tokio runtime, nothing can be sent: the event hook
//! gets [`ProcessorEvent::CleanupFailed`] (with the file id when known)
//! and a warning is logged, so that the caller can delete it later.
//!
//! The event hook also sees every upload ([`ProcessorEvent::Uploaded`]), so
//! a router can record what left the device; [`ImageKitProcessor::process_detailed`]
//! returns the same facts with the result.
//!
//! The processor sends whatever it is given: the caller (the hybrid
//! router) decides, under the privacy policy, whether a job may go to the
//! cloud at all. [`Processor::location`] is `Location::cloud("imagekit")`,
//! the recipient id the policy uses.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use pixmize_core::codec::{self, ImageFormat, Limits};
use pixmize_core::{Job, Location, ProcessError, Processed, Processor, Support, Transformation};

use crate::client::ImageKit;
use crate::error::{Cleanup, Error, ProcessingStage, Result};
use crate::files::search::Field;
use crate::files::{Asset, FileId, ListQuery};
use crate::upload::{FileSource, UploadRequest, normalize_folder};
use crate::url::TransformationPosition;

/// The recipient id of ImageKit in the privacy policy.
pub const RECIPIENT: &str = "imagekit";

/// Options of [`ImageKitProcessor`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessorOptions {
    /// The folder for uploads (default `/pixmize-tmp`).
    pub folder: String,
    /// Keep uploads instead of deleting them (default false).
    pub keep_uploads: bool,
    /// Lifetime of the signed URL (default 300 s).
    pub url_lifetime: Duration,
    /// Delete attempts after a failure, each with the client's own
    /// retries (default 3).
    pub cleanup_attempts: u32,
    /// Where the transformation goes in the URL (default query).
    pub position: TransformationPosition,
    /// Purge the fetched URL from the CDN after deleting the upload
    /// (default false: the URL is signed, short-lived and unguessable; a
    /// purge costs an API call per job).
    pub purge_cdn: bool,
    /// Tags for uploads (default `["pixmize-tmp"]`), to find leftovers.
    pub tags: Vec<String>,
}

impl Default for ProcessorOptions {
    fn default() -> Self {
        ProcessorOptions {
            folder: "/pixmize-tmp".into(),
            keep_uploads: false,
            url_lifetime: Duration::from_secs(300),
            cleanup_attempts: 3,
            position: TransformationPosition::Query,
            purge_cdn: false,
            tags: vec!["pixmize-tmp".into()],
        }
    }
}

/// A file the processor stored in ImageKit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedRef {
    /// The file id.
    pub file_id: FileId,
    /// The path in the media library.
    pub file_path: String,
}

/// What the processor did, for the event hook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessorEvent {
    /// The input was stored in ImageKit.
    Uploaded(UploadedRef),
    /// The transformed image was fetched.
    Fetched {
        /// The upload.
        file_id: FileId,
        /// Bytes received.
        bytes: usize,
    },
    /// The upload was deleted.
    Deleted(UploadedRef),
    /// The upload was kept, as configured.
    Kept(UploadedRef),
    /// The upload could not be deleted: it remains in ImageKit.
    CleanupFailed(UploadedRef),
}

/// The result of [`ImageKitProcessor::process_detailed`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CloudOutcome {
    /// The processed image.
    pub processed: Processed,
    /// What was uploaded.
    pub upload: UploadedRef,
    /// What happened to it.
    pub cleanup: Cleanup,
}

type Hook = Arc<dyn Fn(&ProcessorEvent) + Send + Sync>;

/// Runs jobs in ImageKit. See the [module docs](crate::processor).
///
/// ```no_run
/// use pixmize_core::{Job, Processor};
/// use pixmize_imagekit::{ImageKit, ImageKitProcessor};
/// # async fn run(input: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
/// let ik = ImageKit::from_env()?;
/// let cloud = ImageKitProcessor::new(ik)?.on_event(|e| eprintln!("{e:?}"));
/// let out = cloud.process(Job::new(input, "w-300,e-bgremove".parse()?)).await?;
/// assert_eq!(out.location.recipient(), Some("imagekit"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ImageKitProcessor {
    client: ImageKit,
    options: ProcessorOptions,
    hook: Option<Hook>,
}

impl fmt::Debug for ImageKitProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageKitProcessor")
            .field("client", &self.client)
            .field("options", &self.options)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl ImageKitProcessor {
    /// A processor with default options.
    ///
    /// # Errors
    /// [`Error::Config`] when the client has no private key or no URL
    /// endpoint (the processor signs URLs).
    pub fn new(client: ImageKit) -> Result<ImageKitProcessor> {
        if client.inner.private_key.is_none() {
            return Err(Error::Config("the processor needs the private key"));
        }
        if client.inner.url_endpoint.is_none() {
            return Err(Error::Config("the processor needs the URL endpoint"));
        }
        Ok(ImageKitProcessor { client, options: ProcessorOptions::default(), hook: None })
    }

    /// Sets the options.
    #[must_use]
    pub fn options(mut self, options: ProcessorOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `hook` for every [`ProcessorEvent`].
    #[must_use]
    pub fn on_event(mut self, hook: impl Fn(&ProcessorEvent) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The client.
    #[must_use]
    pub fn client(&self) -> &ImageKit {
        &self.client
    }

    fn emit(&self, e: ProcessorEvent) {
        if let Some(h) = &self.hook {
            h(&e);
        }
    }

    /// Runs `job` and tells what was uploaded and what became of it.
    ///
    /// # Errors
    /// [`Error::Processing`] naming the failed step and the cleanup
    /// outcome, with the step's error as its source.
    pub async fn process_detailed(&self, job: Job) -> Result<CloudOutcome> {
        let fail = |stage, cleanup, source: Error| Error::Processing {
            stage,
            cleanup,
            source: Box::new(source),
        };
        if job.input.is_empty() {
            return Err(fail(
                ProcessingStage::Prepare,
                Cleanup::NothingUploaded,
                Error::invalid("process", "the input is empty"),
            ));
        }
        let ext = codec::detect(&job.input).map_or("bin", ImageFormat::extension);
        let name = format!("{}.{ext}", uuid::Uuid::new_v4().simple());
        let folder = normalize_folder(&self.options.folder);
        let path = format!("{folder}{name}");
        let request = UploadRequest::new(FileSource::bytes(job.input), name.clone())
            .folder(folder.clone())
            .use_unique_file_name(false)
            .overwrite_file(false)
            .is_private_file(true)
            .tags(self.options.tags.clone());

        // From here on, dropping this future (cancellation) leaves the
        // cleanup to the guard. It stays armed until a cleanup has
        // finished, so a cancellation during the cleanup itself is covered
        // too (a second delete of the same file is harmless: 404 counts as
        // deleted).
        let mut guard = CleanupGuard {
            processor: self.clone(),
            pending: Some(Pending::InFlight {
                folder: folder.clone(),
                name: name.clone(),
                path: path.clone(),
            }),
        };

        // 1. Upload.
        let uploaded = match self.client.upload(request).await {
            Ok(u) => UploadedRef { file_id: u.file_id, file_path: u.file_path },
            Err(e) => {
                let cleanup = if sent_nothing(&e) {
                    Cleanup::NothingUploaded
                } else {
                    self.cleanup_lost_upload(&folder, &name, &path).await
                };
                guard.disarm();
                return Err(fail(ProcessingStage::Upload, cleanup, e));
            }
        };
        guard.pending = Some(Pending::Uploaded(uploaded.clone()));
        self.emit(ProcessorEvent::Uploaded(uploaded.clone()));

        // 2. Sign, 3. fetch, 4. read.
        let fetched = self.fetch(&uploaded, &job.transformation, &job.accept).await;
        let (bytes, url) = match fetched {
            Ok(ok) => ok,
            Err((stage, e)) => {
                let cleanup = self.cleanup(&uploaded).await;
                guard.disarm();
                return Err(fail(stage, cleanup, e));
            }
        };
        self.emit(ProcessorEvent::Fetched {
            file_id: uploaded.file_id.clone(),
            bytes: bytes.len(),
        });
        let info = match codec::probe(&bytes, &Limits::default()) {
            Ok(i) => i,
            Err(e) => {
                let cleanup = self.cleanup(&uploaded).await;
                guard.disarm();
                let e = Error::Decode {
                    endpoint: "cdn",
                    status: http::StatusCode::OK,
                    request_id: None,
                    source: Box::new(e),
                };
                return Err(fail(ProcessingStage::Decode, cleanup, e));
            }
        };

        // 5. Delete.
        let cleanup = self.cleanup(&uploaded).await;
        guard.disarm();
        if let Cleanup::Orphaned { .. } = cleanup {
            return Err(fail(
                ProcessingStage::Delete,
                cleanup,
                Error::invalid("process", "the uploaded input could not be deleted"),
            ));
        }
        if self.options.purge_cdn && cleanup == Cleanup::Deleted {
            // Best effort: the URL is signed and expires anyway.
            let _ = self.client.purge_cache(&url).await;
        }
        let processed =
            Processed::new(bytes, info.format, info.width, info.height, Location::cloud(RECIPIENT));
        Ok(CloudOutcome { processed, upload: uploaded, cleanup })
    }

    async fn fetch(
        &self,
        uploaded: &UploadedRef,
        t: &Transformation,
        accept: &[ImageFormat],
    ) -> std::result::Result<(Vec<u8>, String), (ProcessingStage, Error)> {
        let url = self
            .client
            .url(uploaded.file_path.clone())
            .transformation(t)
            .position(self.options.position)
            .expires_in(self.options.url_lifetime)
            .build()
            .map_err(|e| (ProcessingStage::SignUrl, e))?;
        let accept: Vec<&str> = accept.iter().map(|f| f.mime_type()).collect();
        let accept =
            if accept.is_empty() { "image/jpeg,image/png".to_owned() } else { accept.join(",") };
        let bytes = self
            .client
            .fetch(&url, Some(&accept))
            .await
            .map_err(|e| (ProcessingStage::Fetch, e))?;
        Ok((bytes, url))
    }

    /// Deletes (or keeps) an upload, retrying; never fails.
    async fn cleanup(&self, uploaded: &UploadedRef) -> Cleanup {
        if self.options.keep_uploads {
            self.emit(ProcessorEvent::Kept(uploaded.clone()));
            return Cleanup::Kept {
                file_id: uploaded.file_id.to_string(),
                file_path: uploaded.file_path.clone(),
            };
        }
        let attempts = self.options.cleanup_attempts.max(1);
        for attempt in 0..attempts {
            match self.client.delete_file(&uploaded.file_id).await {
                Ok(()) => {
                    self.emit(ProcessorEvent::Deleted(uploaded.clone()));
                    return Cleanup::Deleted;
                }
                Err(e) if e.is_not_found() => {
                    self.emit(ProcessorEvent::Deleted(uploaded.clone()));
                    return Cleanup::Deleted;
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "could not delete a temporary ImageKit upload");
                    if attempt + 1 < attempts {
                        let wait =
                            self.client.inner.retry.backoff(attempt, crate::client::random_unit());
                        self.client.inner.sleeper.sleep(wait).await;
                    }
                }
            }
        }
        self.emit(ProcessorEvent::CleanupFailed(uploaded.clone()));
        Cleanup::Orphaned {
            file_id: uploaded.file_id.to_string(),
            file_path: uploaded.file_path.clone(),
        }
    }

    /// After a failed upload: find the file an attempt may have stored and
    /// delete it.
    async fn cleanup_lost_upload(&self, folder: &str, name: &str, path: &str) -> Cleanup {
        let query = ListQuery::new().path(folder).search(Field::name().eq(name)).limit(10);
        for attempt in 0..self.options.cleanup_attempts.max(1) {
            match self.client.list_files(&query).await {
                Ok(found) => {
                    let file = found.into_iter().find_map(|a| match a {
                        Asset::File(f) if f.file_path == path => Some(f.file_id),
                        _ => None,
                    });
                    return match file {
                        None => Cleanup::NothingUploaded,
                        Some(file_id) => {
                            let r = UploadedRef { file_id, file_path: path.to_owned() };
                            self.emit(ProcessorEvent::Uploaded(r.clone()));
                            self.cleanup(&r).await
                        }
                    };
                }
                Err(_) if attempt + 1 < self.options.cleanup_attempts => {
                    let wait =
                        self.client.inner.retry.backoff(attempt, crate::client::random_unit());
                    self.client.inner.sleeper.sleep(wait).await;
                }
                Err(_) => break,
            }
        }
        let r = UploadedRef { file_id: FileId::default(), file_path: path.to_owned() };
        self.emit(ProcessorEvent::CleanupFailed(r));
        Cleanup::Orphaned { file_id: String::new(), file_path: path.to_owned() }
    }
}

/// What a [`CleanupGuard`] must clean up if it is dropped armed.
enum Pending {
    /// The upload was sent but has not answered: the file may exist.
    InFlight { folder: String, name: String, path: String },
    /// The upload answered with this file.
    Uploaded(UploadedRef),
}

/// Cleans up after a cancelled [`ImageKitProcessor::process_detailed`]:
/// dropped while armed, it spawns the cleanup on the current Tokio
/// runtime, or, without one, reports the file through the event hook.
struct CleanupGuard {
    processor: ImageKitProcessor,
    pending: Option<Pending>,
}

impl CleanupGuard {
    fn disarm(&mut self) {
        self.pending = None;
    }
}

impl Drop for CleanupGuard {
    fn drop(&mut self) {
        let Some(pending) = self.pending.take() else { return };
        let processor = self.processor.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                tracing::debug!("ImageKit processing cancelled; cleaning up in the background");
                runtime.spawn(async move {
                    match pending {
                        Pending::InFlight { folder, name, path } => {
                            processor.cleanup_lost_upload(&folder, &name, &path).await
                        }
                        Pending::Uploaded(r) => processor.cleanup(&r).await,
                    };
                });
            }
            Err(_) => {
                let r = match pending {
                    Pending::InFlight { path, .. } => {
                        UploadedRef { file_id: FileId::default(), file_path: path }
                    }
                    Pending::Uploaded(r) => r,
                };
                if processor.options.keep_uploads {
                    processor.emit(ProcessorEvent::Kept(r));
                    return;
                }
                tracing::warn!(
                    file_path = %r.file_path,
                    "ImageKit processing dropped outside a Tokio runtime; the upload may remain"
                );
                processor.emit(ProcessorEvent::CleanupFailed(r));
            }
        }
    }
}

/// Whether an upload error proves nothing reached ImageKit's storage.
fn sent_nothing(e: &Error) -> bool {
    match e {
        Error::InvalidArgument { .. } | Error::Io(_) | Error::Config(_) => true,
        // Only a first attempt that could not connect proves it: after a
        // retry, an earlier attempt may have stored the file.
        Error::Transport { kind, attempts, .. } => {
            *kind == crate::error::TransportKind::Connect && *attempts == 1
        }
        // 4xx answers other than a conflict or a timeout store nothing.
        Error::Api(a) => {
            a.attempts == 1
                && a.status.is_client_error()
                && !matches!(a.status.as_u16(), 400 | 408 | 409)
        }
        _ => false,
    }
}

#[async_trait::async_trait]
impl Processor for ImageKitProcessor {
    fn location(&self) -> Location {
        Location::cloud(RECIPIENT)
    }

    /// ImageKit runs every parameter of the language.
    fn supports(&self, _t: &Transformation) -> Support {
        Support::Full
    }

    async fn process(&self, job: Job) -> std::result::Result<Processed, ProcessError> {
        self.process_detailed(job)
            .await
            .map(|o| o.processed)
            .map_err(|e| pixmize_core::Error::Backend(Box::new(e)))
    }
}
