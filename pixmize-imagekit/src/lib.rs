//! A complete ImageKit.io client: delivery URLs and signing (byte for byte
//! as the official SDKs, non-ASCII paths included), client-side upload
//! authentication, uploads from bytes, files, streams, base64 or URLs that
//! never duplicate a file on retry, the whole media API with tolerant
//! models and an auto-paginating search, cache purge, webhook verification
//! (both schemes), timeouts and retries that honour `Retry-After` and
//! `X-RateLimit-Reset`, an [`ImageKitProcessor`] behind pixmize-core's
//! `Processor` trait, and an offline emulator (module `emulator`) to
//! develop and test against.
//!
//! ```
//! use pixmize_imagekit::ImageKit;
//!
//! let ik = ImageKit::builder()
//!     .private_key("dummy-key")
//!     .url_endpoint("https://ik.imagekit.io/demo/")
//!     .build()?;
//! let t: pixmize_core::Transformation = "w-300,h-200".parse().unwrap();
//! let url = ik
//!     .url("sdk-testing-files/future-search.png")
//!     .transformation(&t)
//!     .query("version", "2.0")
//!     .signed(true)
//!     .build()?;
//! assert_eq!(
//!     url,
//!     "https://ik.imagekit.io/demo/sdk-testing-files/future-search.png\
//!      ?version=2.0&tr=w-300,h-200&ik-s=601d97a7834b7554f4dabf0d3fc3a219ceeb6b31"
//! );
//! # Ok::<(), pixmize_imagekit::Error>(())
//! ```
//!
//! # Crate features
//! * **emulator**: `emulator::Emulator`, an ImageKit-compatible HTTP
//!   server on `127.0.0.1` (axum) that runs transformations with
//!   pixmize-core.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::unwrap_used)]

pub use crate::account::{
    AccountModel, AccountResource, NamedTransformation, Origin, OriginType, SavedExtension,
    UrlEndpoint,
};
pub use crate::client::{
    Clock, DEFAULT_API_BASE, DEFAULT_UPLOAD_BASE, ImageKit, ImageKitBuilder, ManualClock,
    RecordingSleeper, Response, ResponseMeta, RetryPolicy, SleepFuture, Sleeper, SystemClock,
    TokioSleeper,
};
pub use crate::error::{
    ApiError, BoxError, Cleanup, Error, ProcessingStage, RateLimit, Result, TransportKind,
    WebhookError,
};
pub use crate::files::search;
pub use crate::files::{
    AiTag, Asset, AssetKind, AssetStream, BulkDeleteResult, BulkItemError, BulkJob, BulkJobType,
    BulkUpdateResult, CustomMetadataField, FieldSchema, FieldType, FileDetails, FileId, FileType,
    FileTypeFilter, FileUpdate, FolderDetails, ImageMetadata, JobId, JobStatus, ListQuery,
    ListType, PurgeRequestId, RemoveAiTags, RenameResult, SearchQueryText, Sort, Usage, VersionId,
    VersionInfo,
};
pub use crate::phash::{Phash, PhashError, phash_distance};
pub use crate::processor::{
    CloudOutcome, ImageKitProcessor, ProcessorEvent, ProcessorOptions, RECIPIENT, UploadedRef,
};
pub use crate::responsive::{
    DEFAULT_DEVICE_BREAKPOINTS, DEFAULT_IMAGE_BREAKPOINTS, ResponsiveImageAttributes,
    ResponsiveOptions,
};
pub use crate::upload::{
    AuthParams, DEFAULT_AUTH_LIFETIME, Extension, FileSource, PostTransformation, ResponseField,
    UploadRequest, UploadTransformation, UploadedFile, sanitize_file_name,
};
pub use crate::url::{NO_EXPIRY, TransformationPosition, UrlBuilder, UrlOptions, url_signature};
pub use crate::webhook::dangerous;
pub use crate::webhook::{
    DEFAULT_TOLERANCE, DeletedRef, EventData, EventType, PostTransformData, TransformErrorData,
    VideoTransformationData, WebhookEvent, WebhookVerifier,
};

mod account;
mod client;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
mod error;
mod files;
pub mod overlay;
mod phash;
pub mod processor;
mod purge;
mod responsive;
pub mod upload;
mod url;
mod webhook;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
