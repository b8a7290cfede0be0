//! [`LocalProcessor`]: the engine behind the [`Processor`] trait.

use crate::codec::{self, ImageFormat};
use crate::engine::{self, EngineLimits};
use crate::processor::{Job, Location, ProcessError, Processed, Processor, Support};
use crate::transform::{CloudOnly, Format, Step};
use crate::{Error, Result, Transformation, Unsupported};

/// Runs transformations on the device, in pure Rust.
///
/// Inside a tokio runtime (with the `tokio` feature) [`Processor::process`]
/// runs the CPU work on the blocking pool, off the async executor; without
/// a runtime it runs in place, so the future can be driven by any executor.
/// [`LocalProcessor::process_sync`] is the plain blocking call.
///
/// ```
/// use pixmize_core::{Job, LocalProcessor};
/// # let png = {
/// #     let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 30, 30]));
/// #     let mut out = std::io::Cursor::new(Vec::new());
/// #     img.write_to(&mut out, image::ImageFormat::Png).unwrap();
/// #     out.into_inner()
/// # };
/// let engine = LocalProcessor::new();
/// let out = engine.process_sync(Job::new(png, "w-32,f-jpg".parse()?))?;
/// assert_eq!((out.width, out.height), (32, 24));
/// assert_eq!(out.format, pixmize_core::codec::ImageFormat::Jpeg);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct LocalProcessor {
    limits: EngineLimits,
}

impl LocalProcessor {
    /// A processor with default limits (100 MP input, 40 MiB, 65535 px sides).
    #[must_use]
    pub fn new() -> LocalProcessor {
        LocalProcessor::default()
    }

    /// A processor with these limits.
    #[must_use]
    pub fn with_limits(limits: EngineLimits) -> LocalProcessor {
        LocalProcessor { limits }
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> &EngineLimits {
        &self.limits
    }

    /// Runs `job` on the calling thread.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for parameters only the cloud can run (see
    /// [`Processor::supports`]), and decode, plan, limit and encode errors.
    pub fn process_sync(&self, job: Job) -> Result<Processed> {
        if let Support::NeedsCloud(missing) = self.supports(&job.transformation)
            && let Some(first) = missing.first()
        {
            return Err(Error::Unsupported(Unsupported::Param {
                key: first.key,
                reason: first.reason,
            }));
        }
        engine::run(&job.input, &job.transformation, &job.accept, &self.limits)
    }
}

#[async_trait::async_trait]
impl Processor for LocalProcessor {
    fn location(&self) -> Location {
        Location::Device
    }

    /// Everything [`Transformation::cloud_only`] lists, plus output formats
    /// whose encoder is not compiled in. `f-webp` needs the `libwebp`
    /// feature (lossy WebP), except when the output is lossless (`lo-true`,
    /// the last `lo` of the top-level steps wins, as in the engine), which
    /// the pure-Rust `webp` feature encodes.
    fn supports(&self, t: &Transformation) -> Support {
        let mut missing = t.cloud_only();
        // The output settings of the top-level steps (conditional branches
        // are not known before the image is), gathered as the engine does.
        let mut output = engine::Output::default();
        for step in t.steps() {
            if let Step::Params(p) = step {
                output.absorb(p);
            }
        }
        let lossless = output.is_lossless();
        for (i, step) in t.steps().iter().enumerate() {
            collect_formats(step, i, lossless, &mut missing);
        }
        if missing.is_empty() { Support::Full } else { Support::NeedsCloud(missing) }
    }

    async fn process(&self, job: Job) -> Result<Processed, ProcessError> {
        #[cfg(feature = "tokio")]
        if tokio::runtime::Handle::try_current().is_ok() {
            let this = self.clone();
            return tokio::task::spawn_blocking(move || this.process_sync(job))
                .await
                .map_err(|e| Error::Backend(Box::new(e)))?;
        }
        self.process_sync(job)
    }
}

fn collect_formats(step: &Step, index: usize, lossless: bool, missing: &mut Vec<CloudOnly>) {
    match step {
        Step::Params(p) => {
            let format = match p.format {
                Some(Format::Avif) => Some(ImageFormat::Avif),
                Some(Format::Webp) => Some(ImageFormat::Webp),
                Some(Format::Gif) => Some(ImageFormat::Gif),
                Some(Format::Png) => Some(ImageFormat::Png),
                Some(Format::Jpg | Format::Jpeg) => Some(ImageFormat::Jpeg),
                _ => None,
            };
            let encodable = |f: &ImageFormat| {
                codec::can_encode(*f)
                    || (*f == ImageFormat::Webp && lossless && cfg!(feature = "webp"))
            };
            if let Some(f) = format.filter(|f| !encodable(f)) {
                missing.push(CloudOnly { step: index, key: "f", reason: encoder_missing(f) });
            }
        }
        Step::If(c) => {
            for t in std::iter::once(c.then()).chain(c.otherwise()) {
                for s in t.steps() {
                    collect_formats(s, index, lossless, missing);
                }
            }
        }
    }
}

fn encoder_missing(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Avif => "the AVIF encoder is not enabled in this build (feature `avif`)",
        ImageFormat::Webp => {
            "lossy WebP needs the `libwebp` feature, not enabled in this build (`lo-true` works)"
        }
        _ => "this format's encoder is not enabled in this build",
    }
}
