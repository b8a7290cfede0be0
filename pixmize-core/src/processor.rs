//! The processor API shared by the local engine and cloud backends.

use std::borrow::Cow;
use std::fmt;

use crate::codec::ImageFormat;
use crate::transform::CloudOnly;
use crate::{Error, Transformation};

/// The error of [`Processor::process`]: this crate's [`Error`]. Other
/// backends carry their own errors in [`Error::Backend`].
pub type ProcessError = Error;

/// Where a processor runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// On the user's device: the image does not leave it.
    Device,
    /// In a cloud service; `recipient` is the id the privacy policy uses
    /// for it (for example `"imagekit"`).
    Cloud {
        /// The policy's recipient id.
        recipient: Cow<'static, str>,
    },
}

impl Location {
    /// A cloud location.
    #[must_use]
    pub fn cloud(recipient: impl Into<Cow<'static, str>>) -> Location {
        Location::Cloud { recipient: recipient.into() }
    }

    /// The recipient id, for a cloud location.
    #[must_use]
    pub fn recipient(&self) -> Option<&str> {
        match self {
            Location::Device => None,
            Location::Cloud { recipient } => Some(recipient),
        }
    }

    /// Whether the image stays on the device.
    #[must_use]
    pub fn is_device(&self) -> bool {
        matches!(self, Location::Device)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Device => f.write_str("device"),
            Location::Cloud { recipient } => write!(f, "cloud ({recipient})"),
        }
    }
}

/// Whether a processor can run a transformation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Support {
    /// Every parameter can run here.
    Full,
    /// These parameters cannot run here and need the cloud.
    NeedsCloud(Vec<CloudOnly>),
}

impl Support {
    /// Whether everything can run here.
    #[must_use]
    pub fn is_full(&self) -> bool {
        matches!(self, Support::Full)
    }

    /// The parameters that cannot run here.
    #[must_use]
    pub fn missing(&self) -> &[CloudOnly] {
        match self {
            Support::Full => &[],
            Support::NeedsCloud(m) => m,
        }
    }
}

/// An image to process and the transformation to apply.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Job {
    /// The encoded input image. Its format is detected from these bytes.
    pub input: Vec<u8>,
    /// What to do.
    pub transformation: Transformation,
    /// Formats the client accepts, for `f-auto` (like an `Accept` header).
    /// The default, JPEG and PNG, is what a client that sends no `Accept`
    /// header gets.
    pub accept: Vec<ImageFormat>,
    /// A file name for backends that store the image (never used to guess
    /// the format).
    pub file_name: Option<String>,
}

impl Job {
    /// A job accepting JPEG and PNG output.
    #[must_use]
    pub fn new(input: impl Into<Vec<u8>>, transformation: Transformation) -> Job {
        Job {
            input: input.into(),
            transformation,
            accept: vec![ImageFormat::Jpeg, ImageFormat::Png],
            file_name: None,
        }
    }

    /// Sets the formats the client accepts.
    #[must_use]
    pub fn accept(mut self, formats: impl IntoIterator<Item = ImageFormat>) -> Job {
        self.accept = formats.into_iter().collect();
        self
    }

    /// Sets a file name.
    #[must_use]
    pub fn file_name(mut self, name: impl Into<String>) -> Job {
        self.file_name = Some(name.into());
        self
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print image bytes.
        f.debug_struct("Job")
            .field("input", &format_args!("<{} bytes>", self.input.len()))
            .field("transformation", &format_args!("{}", self.transformation))
            .field("accept", &self.accept)
            .field("file_name", &self.file_name)
            .finish()
    }
}

/// A processed image.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Processed {
    /// The encoded output.
    pub bytes: Vec<u8>,
    /// Its format.
    pub format: ImageFormat,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// Where it was processed.
    pub location: Location,
}

impl Processed {
    /// A processed image.
    #[must_use]
    pub fn new(
        bytes: Vec<u8>,
        format: ImageFormat,
        width: u32,
        height: u32,
        location: Location,
    ) -> Processed {
        Processed { bytes, format, width, height, location }
    }
}

impl fmt::Debug for Processed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Processed")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("location", &self.location)
            .finish()
    }
}

/// Something that runs transformations: the local engine or a cloud service.
///
/// Object safe: use it as `Arc<dyn Processor>`.
///
/// ```
/// use std::sync::Arc;
/// use pixmize_core::{LocalProcessor, Processor};
/// let processors: Vec<Arc<dyn Processor>> = vec![Arc::new(LocalProcessor::new())];
/// assert!(processors[0].location().is_device());
/// ```
#[async_trait::async_trait]
pub trait Processor: Send + Sync {
    /// Where this processor runs.
    fn location(&self) -> Location;

    /// Whether this processor can run `t`, and if not, which parameters it
    /// lacks.
    fn supports(&self, t: &Transformation) -> Support;

    /// Runs `job`.
    ///
    /// # Errors
    /// [`Error::Parse`]-free by construction (the job holds a parsed
    /// transformation); [`Error::Unsupported`] when a parameter cannot run
    /// here; decode, encode, plan and limit errors for bad input;
    /// [`Error::Backend`] when a remote service fails.
    async fn process(&self, job: Job) -> Result<Processed, ProcessError>;
}
