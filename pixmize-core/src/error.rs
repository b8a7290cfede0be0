//! Errors of `pixmize-core`.

use std::fmt;

/// A boxed error from a codec or another backend, kept out of the public API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A `Result` whose error defaults to [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while parsing, planning or running a transformation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transformation string is not valid.
    #[error(transparent)]
    Parse(#[from] crate::ParseError),
    /// A step of the transformation cannot be applied to this image.
    #[error(transparent)]
    Plan(#[from] crate::geometry::PlanError),
    /// The bytes are not an image in a format this build recognises.
    #[error("unrecognised image format")]
    UnknownFormat,
    /// The image could not be decoded.
    #[error("cannot decode {format} image")]
    Decode {
        /// The detected format.
        format: crate::codec::ImageFormat,
        /// The codec's error.
        #[source]
        source: BoxError,
    },
    /// The image could not be encoded.
    #[error("cannot encode {format} image")]
    Encode {
        /// The requested output format.
        format: crate::codec::ImageFormat,
        /// The codec's error.
        #[source]
        source: BoxError,
    },
    /// A configured limit was exceeded; checked before any large allocation.
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    /// The request needs something this engine or build cannot do.
    #[error("unsupported: {0}")]
    Unsupported(Unsupported),
    /// A pixel operation failed.
    #[error("image operation {operation} failed")]
    Operation {
        /// The operation, e.g. `"resize"`.
        operation: &'static str,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// Another processor (for example the ImageKit client) failed; the cause
    /// comes back out with `source()?.downcast_ref::<TheirError>()`.
    #[error("processing backend failed")]
    Backend(#[source] BoxError),
}

impl Error {
    /// Whether this error was caused by the input image or transformation (a
    /// client error) rather than by the engine or a backend.
    #[must_use]
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::Parse(_)
                | Self::Plan(_)
                | Self::UnknownFormat
                | Self::Decode { .. }
                | Self::Limit(_)
        )
    }
}

/// What a [`LimitExceeded`] error refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Size of the encoded input in bytes.
    InputBytes,
    /// Pixels (width × height) of the decoded input.
    InputPixels,
    /// Width or height of the input.
    InputSide,
    /// Pixels of an intermediate or output image.
    OutputPixels,
    /// Width or height of an intermediate or output image.
    OutputSide,
    /// Number of frames or pages.
    Frames,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InputBytes => "input size in bytes",
            Self::InputPixels => "input pixels",
            Self::InputSide => "input side",
            Self::OutputPixels => "output pixels",
            Self::OutputSide => "output side",
            Self::Frames => "frames",
        })
    }
}

/// A limit was exceeded: `actual` is over `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{limit} limit exceeded: {actual} > {max}")]
pub struct LimitExceeded {
    /// Which limit.
    pub limit: Limit,
    /// The value found.
    pub actual: u64,
    /// The configured maximum.
    pub max: u64,
}

/// Something the request needs that this engine or build cannot do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unsupported {
    /// A transformation parameter the engine cannot run (the key, e.g. `e-bgremove`).
    Param {
        /// The parameter's key as written in a transformation, e.g. `e-bgremove`.
        key: &'static str,
        /// Why, e.g. "AI effect, only ImageKit can run it".
        reason: &'static str,
    },
    /// An image format whose codec is not compiled in (enable the crate feature).
    Format(crate::codec::ImageFormat),
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Param { key, reason } => write!(f, "parameter `{key}`: {reason}"),
            Self::Format(format) => write!(f, "{format} codec is not enabled in this build"),
        }
    }
}

const _: () = {
    const fn ok<T: Send + Sync + 'static>() {}
    ok::<Error>();
};
