//! The main command: run one transformation over images on this device.
//!
//! ```text
//! cargo run --release --example pixmize -- INPUT... --tr "w-800,f-webp" -o OUT
//! ```
//!
//! INPUT is files or folders (folders are read one level deep, skipping
//! hidden files and, with a note, files whose bytes are not an image such as
//! a `README.md`; a file named on the command line is always processed, so
//! a named non-image is an error); OUT is a file when there is one input, otherwise a folder
//! (default `pixmize-out/`). With no INPUT it processes the bundled sample
//! photo. Batches run in parallel with rayon (`RAYON_NUM_THREADS` sets the
//! threads).
//!
//! Safety rules:
//! * Every output is written to a uniquely named temporary file in the
//!   output folder and renamed into place, so a failure leaves no partial
//!   file and parallel writers never share a temporary file. The output's
//!   permissions are those of any new file (0666 less the umask).
//! * An input is never overwritten.
//! * Two inputs that would write the same output (`a/x.jpg` and `b/x.jpg`,
//!   or `x.jpg` and `x.png`: outputs are named after the input's stem, and
//!   the format may be chosen per image) are refused before any work, with
//!   an error naming both.
//! * With one input and `-o FILE`, the format follows FILE's extension when
//!   the transformation has no `f-`; an `f-` that contradicts the extension
//!   is refused.
//! * A bad input gets a one-line error naming the file and the reason, and
//!   the rest of the batch goes on; the exit code is 1 if any input failed
//!   (2 for a usage error).

use std::error::Error;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use pixmize::engine::codec::ImageFormat;
use pixmize::engine::transform::Format;
use pixmize::engine::{Job, LocalProcessor, Params, Step, Transformation};
use rayon::prelude::*;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg");
const USAGE: &str =
    "usage: pixmize [INPUT...] [--tr TRANSFORMATION] [-o OUT] [--accept jpg,png,webp,avif] [-q]";
const DEFAULT_OUT: &str = "pixmize-out";

#[derive(Debug)]
struct Args {
    inputs: Vec<PathBuf>,
    transformation: Transformation,
    out: Option<PathBuf>,
    accept: Vec<ImageFormat>,
    quiet: bool,
    help: bool,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = args.into_iter();
    let mut inputs = Vec::new();
    let mut tr = None;
    let mut out = None;
    let mut accept = vec![ImageFormat::Jpeg, ImageFormat::Png];
    let (mut quiet, mut help) = (false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tr" | "-t" => tr = Some(args.next().ok_or("--tr needs a transformation")?),
            "-o" | "--out" => out = Some(PathBuf::from(args.next().ok_or("-o needs a path")?)),
            "--accept" => {
                let list = args.next().ok_or("--accept needs a list")?;
                accept = list
                    .split(',')
                    .map(|f| {
                        format_of_extension(f).ok_or(format!("--accept: unknown format `{f}`"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "-q" | "--quiet" => quiet = true,
            "-h" | "--help" => help = true,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            path => inputs.push(PathBuf::from(path)),
        }
    }
    let transformation: Transformation =
        tr.as_deref().unwrap_or("w-800").parse().map_err(|e| format!("--tr: {e}"))?;
    Ok(Args { inputs, transformation, out, accept, quiet, help })
}

/// The format a file extension names (case-insensitive), for `--accept`
/// and `-o FILE`.
fn format_of_extension(ext: &str) -> Option<ImageFormat> {
    match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
        "png" => Some(ImageFormat::Png),
        "webp" => Some(ImageFormat::Webp),
        "avif" => Some(ImageFormat::Avif),
        "gif" => Some(ImageFormat::Gif),
        _ => None,
    }
}

/// The `f-` value that produces `format`.
fn f_param(format: ImageFormat) -> Option<Format> {
    match format {
        ImageFormat::Jpeg => Some(Format::Jpg),
        ImageFormat::Png => Some(Format::Png),
        ImageFormat::Webp => Some(Format::Webp),
        ImageFormat::Avif => Some(Format::Avif),
        ImageFormat::Gif => Some(Format::Gif),
        _ => None,
    }
}

/// Every `f-` value in the chain, its conditional branches included.
fn formats_in(t: &Transformation) -> Vec<Format> {
    let mut found = Vec::new();
    for step in t.steps() {
        match step {
            Step::Params(p) => found.extend(p.format),
            Step::If(c) => {
                found.extend(formats_in(c.then()));
                if let Some(o) = c.otherwise() {
                    found.extend(formats_in(o));
                }
            }
            _ => {}
        }
    }
    found
}

/// For one input written to `-o FILE`: FILE's extension decides the format
/// when the transformation names none; an `f-` naming another format is
/// refused. `f-auto` and `f-orig` are checked after processing.
fn transformation_for_file(t: &Transformation, file: &Path) -> Result<Transformation, String> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let wanted = format_of_extension(ext).ok_or_else(|| {
        format!(
            "-o {}: cannot tell an output format from `.{ext}` (use .jpg, .png, .webp, .avif or .gif)",
            file.display()
        )
    })?;
    let named = formats_in(t);
    if named.is_empty() {
        let mut p = Params::new();
        p.format = f_param(wanted);
        return Ok(t.clone().then(p));
    }
    for f in named {
        let conflicts = match f {
            Format::Auto | Format::Orig => false,
            Format::Jpg | Format::Jpeg => wanted != ImageFormat::Jpeg,
            Format::Png => wanted != ImageFormat::Png,
            Format::Webp => wanted != ImageFormat::Webp,
            Format::Avif => wanted != ImageFormat::Avif,
            Format::Gif => wanted != ImageFormat::Gif,
            _ => true,
        };
        if conflicts {
            return Err(format!(
                "-o {}: the transformation asks for f-{f} but the file name says {wanted}; \
                 change the extension or drop f-",
                file.display()
            ));
        }
    }
    Ok(t.clone())
}

/// What a list of inputs expands to.
#[derive(Debug, Default)]
struct Expanded {
    /// The files to process, in order.
    files: Vec<PathBuf>,
    /// Files found in folders whose first bytes are no image format.
    not_images: Vec<PathBuf>,
}

/// Whether `path` starts like an image (its magic number; the name does not
/// count). Unreadable files count as images, so that their error is shown.
fn looks_like_an_image(path: &Path) -> bool {
    let mut head = Vec::with_capacity(64);
    match fs::File::open(path).and_then(|f| f.take(64).read_to_end(&mut head)) {
        Ok(_) => pixmize::engine::codec::detect(&head).is_some(),
        Err(_) => true,
    }
}

/// Expands folders (one level, hidden files skipped, files that are not
/// images set aside) into their files, sorted; named files are kept as given.
fn expand(inputs: &[PathBuf]) -> Result<Expanded, String> {
    let mut out = Expanded::default();
    for input in inputs {
        if input.is_dir() {
            let entries = fs::read_dir(input).map_err(|e| format!("{}: {e}", input.display()))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                .collect();
            found.sort();
            let (images, others): (Vec<_>, Vec<_>) =
                found.into_iter().partition(|p| looks_like_an_image(p));
            out.files.extend(images);
            out.not_images.extend(others);
        } else {
            out.files.push(input.clone());
        }
    }
    Ok(out)
}

/// Where one input's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dest {
    /// Exactly this file (`-o FILE` with one input).
    File(PathBuf),
    /// This path plus the output format's extension.
    Stem(PathBuf),
}

impl Dest {
    fn path_for(&self, format: ImageFormat) -> PathBuf {
        match self {
            Dest::File(f) => f.clone(),
            Dest::Stem(s) => {
                let mut name = s.as_os_str().to_owned();
                name.push(".");
                name.push(format.extension());
                PathBuf::from(name)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Task {
    input: PathBuf,
    dest: Dest,
}

/// Decides every output path before any work. Outputs are named
/// `OUT/<stem>.<ext>`; the extension follows the format, which `f-auto`
/// and `f-orig` choose per image, so two inputs with the same stem
/// (compared case-insensitively, for case-insensitive file systems) would
/// collide and are refused, naming both.
fn plan_tasks(files: &[PathBuf], out: Option<&Path>) -> Result<Vec<Task>, String> {
    let file_out = out.filter(|o| !o.is_dir() && o.extension().is_some());
    if let Some(file) = file_out {
        if files.len() != 1 {
            return Err(format!(
                "-o {} is a file name but there are {} inputs; give a folder",
                file.display(),
                files.len()
            ));
        }
        return Ok(vec![Task { input: files[0].clone(), dest: Dest::File(file.to_path_buf()) }]);
    }
    let dir = out.map_or_else(|| PathBuf::from(DEFAULT_OUT), Path::to_path_buf);
    let mut seen: std::collections::HashMap<String, &Path> = std::collections::HashMap::new();
    let mut tasks = Vec::with_capacity(files.len());
    for input in files {
        let stem = input.file_stem().ok_or_else(|| format!("{}: not a file", input.display()))?;
        let key = stem.to_string_lossy().to_lowercase();
        if let Some(first) = seen.insert(key, input) {
            return Err(format!(
                "{} and {} would both be written as {}.*; rename one or process them separately",
                first.display(),
                input.display(),
                dir.join(stem).display()
            ));
        }
        tasks.push(Task { input: input.clone(), dest: Dest::Stem(dir.join(stem)) });
    }
    Ok(tasks)
}

/// Writes `bytes` to `dest` through a uniquely named temporary file in the
/// same folder (so the rename is atomic), synced before the rename. On any
/// failure the temporary file is removed and `dest` is untouched.
fn write_atomically(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile makes private (0600) files; an output is an ordinary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // On error `persist` hands the file back; dropping it deletes it.
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
}

/// One error and its causes on one line.
fn one_line(e: &(dyn Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg.replace(['\n', '\r'], " ")
}

/// What a batch did.
#[derive(Debug, Default)]
struct Outcome {
    /// Per task: the file written, or a one-line reason.
    results: Vec<Result<PathBuf, String>>,
    bytes_in: u64,
    bytes_out: u64,
    pixels_out: u64,
}

impl Outcome {
    fn failed(&self) -> usize {
        self.results.iter().filter(|r| r.is_err()).count()
    }

    /// The process exit code: 0, or 1 when any input failed.
    fn exit_code(&self) -> i32 {
        if self.failed() == 0 { 0 } else { 1 }
    }
}

/// Runs every task in parallel; a failure is recorded and the rest go on.
fn run_batch(
    tasks: &[Task],
    t: &Transformation,
    accept: &[ImageFormat],
    bar: &ProgressBar,
) -> Outcome {
    let canonical_inputs: Vec<PathBuf> =
        tasks.iter().filter_map(|t| fs::canonicalize(&t.input).ok()).collect();
    let engine = LocalProcessor::new();
    let (bytes_in, bytes_out, pixels) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let results = tasks
        .par_iter()
        .map(|task| {
            let run = || -> Result<PathBuf, Box<dyn Error>> {
                let data = fs::read(&task.input)?;
                bytes_in.fetch_add(data.len() as u64, Ordering::Relaxed);
                let job = Job::new(data, t.clone()).accept(accept.iter().copied());
                let out = engine.process_sync(job)?;
                let dest = task.dest.path_for(out.format);
                if let Dest::File(file) = &task.dest {
                    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or_default();
                    if format_of_extension(ext) != Some(out.format) {
                        return Err(format!(
                            "the output is {} but -o names a .{ext} file; add f-{} or rename it",
                            out.format,
                            out.format.extension()
                        )
                        .into());
                    }
                }
                if fs::canonicalize(&dest).is_ok_and(|d| canonical_inputs.contains(&d)) {
                    return Err(
                        format!("refusing to overwrite the input {}", dest.display()).into()
                    );
                }
                if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
                    fs::create_dir_all(dir)?;
                }
                write_atomically(&dest, &out.bytes)
                    .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
                bytes_out.fetch_add(out.bytes.len() as u64, Ordering::Relaxed);
                pixels.fetch_add(u64::from(out.width) * u64::from(out.height), Ordering::Relaxed);
                Ok(dest)
            };
            let r = run().map_err(|e| one_line(e.as_ref()));
            bar.inc(1);
            r
        })
        .collect();
    Outcome {
        results,
        bytes_in: bytes_in.into_inner(),
        bytes_out: bytes_out.into_inner(),
        pixels_out: pixels.into_inner(),
    }
}

fn try_main() -> Result<i32, Box<dyn Error>> {
    let args = parse_args(std::env::args().skip(1))?;
    if args.help {
        println!("{USAGE}");
        return Ok(0);
    }
    let sample = args.inputs.is_empty();
    let Expanded { files, not_images } = if sample {
        Expanded { files: vec![PathBuf::from(SAMPLE)], not_images: Vec::new() }
    } else {
        expand(&args.inputs)?
    };
    if !not_images.is_empty() {
        let names: Vec<String> = not_images.iter().map(|p| p.display().to_string()).collect();
        eprintln!("skipped {} file(s) that are not images: {}", names.len(), names.join(", "));
    }
    if files.is_empty() {
        return Err("no input files".into());
    }
    let tasks = plan_tasks(&files, args.out.as_deref())?;
    let transformation = match &tasks[..] {
        [Task { dest: Dest::File(file), .. }] => {
            transformation_for_file(&args.transformation, file)?
        }
        _ => args.transformation.clone(),
    };
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(tasks.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let start = Instant::now();
    let outcome = run_batch(&tasks, &transformation, &args.accept, &bar);
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    for (task, r) in tasks.iter().zip(&outcome.results) {
        match r {
            Ok(dest) if sample => println!(
                "processed the bundled sample {} -> {}",
                task.input.display(),
                dest.display()
            ),
            Ok(dest) if tasks.len() == 1 => {
                println!("{} -> {}", task.input.display(), dest.display())
            }
            Ok(_) => {}
            Err(e) => eprintln!("error: {}: {e}", task.input.display()),
        }
    }
    println!(
        "{} files ({} failed), {:.2} MB in, {:.2} MB out, {:.3} s, {:.1} output MP/s, transformation `{}`",
        tasks.len(),
        outcome.failed(),
        outcome.bytes_in as f64 / 1e6,
        outcome.bytes_out as f64 / 1e6,
        secs,
        outcome.pixels_out as f64 / 1e6 / secs.max(1e-9),
        transformation,
    );
    Ok(outcome.exit_code())
}

fn main() {
    match try_main() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {}", one_line(e.as_ref()));
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    fn sample_bytes() -> Vec<u8> {
        fs::read(SAMPLE).unwrap()
    }

    /// Files in `dir`, sorted, hidden ones (temporary files) included.
    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn batch(tasks: &[Task], tr: &str) -> Outcome {
        run_batch(
            tasks,
            &tr.parse().unwrap(),
            &[ImageFormat::Jpeg, ImageFormat::Png],
            &ProgressBar::hidden(),
        )
    }

    #[test]
    fn write_atomically_leaves_no_partial_file_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        // success: exact bytes, no temporary file left
        let ok = dir.path().join("ok.jpg");
        write_atomically(&ok, b"0123456789").unwrap();
        assert_eq!(fs::read(&ok).unwrap(), b"0123456789");
        assert_eq!(listing(dir.path()), ["ok.jpg"]);
        // the rename fails (the destination is a non-empty folder): the
        // temporary file is removed and nothing else appears
        let blocked = dir.path().join("blocked.jpg");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("keep"), b"x").unwrap();
        assert!(write_atomically(&blocked, &[7; 100_000]).is_err());
        assert_eq!(listing(dir.path()), ["blocked.jpg", "ok.jpg"]);
        assert_eq!(listing(&blocked), ["keep"]);
        // the folder does not exist: an error, no file
        assert!(write_atomically(&dir.path().join("missing/x.jpg"), b"x").is_err());
        assert_eq!(listing(dir.path()), ["blocked.jpg", "ok.jpg"]);
    }

    #[test]
    fn parallel_writers_to_one_folder_use_distinct_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        // many threads write the same destination name at once; with a
        // shared temporary name one would truncate another's file mid-write
        let dest = dir.path().join("same.png");
        (0..16u8).into_par_iter().for_each(|i| {
            write_atomically(&dest, &vec![i; 200_000]).unwrap();
        });
        let written = fs::read(&dest).unwrap();
        assert_eq!(written.len(), 200_000);
        assert!(written.iter().all(|&b| b == written[0]), "one writer's complete bytes");
        assert_eq!(listing(dir.path()), ["same.png"], "no temporary file left");
    }

    #[test]
    fn colliding_outputs_are_refused_before_any_work() {
        let out = Path::new("out");
        let same_stem_other_folder = [PathBuf::from("a/x.jpg"), PathBuf::from("b/x.jpg")];
        let err = plan_tasks(&same_stem_other_folder, Some(out)).unwrap_err();
        assert!(err.contains("a/x.jpg") && err.contains("b/x.jpg"), "{err}");
        let same_stem_other_format = [PathBuf::from("x.jpg"), PathBuf::from("X.png")];
        let err = plan_tasks(&same_stem_other_format, Some(out)).unwrap_err();
        assert!(err.contains("x.jpg") && err.contains("X.png"), "{err}");

        let distinct = [PathBuf::from("a/x.jpg"), PathBuf::from("a/y.jpg")];
        let tasks = plan_tasks(&distinct, Some(out)).unwrap();
        assert_eq!(tasks[1].dest.path_for(ImageFormat::Webp), Path::new("out/y.webp"));
        let tasks = plan_tasks(&distinct, None).unwrap();
        assert_eq!(tasks[0].dest.path_for(ImageFormat::Jpeg), Path::new("pixmize-out/x.jpg"));

        let err = plan_tasks(&distinct, Some(Path::new("one.webp"))).unwrap_err();
        assert!(err.contains("2 inputs"), "{err}");
    }

    #[test]
    fn a_single_output_file_takes_its_format_from_the_extension() {
        let t: Transformation = "w-100".parse().unwrap();
        let webp = transformation_for_file(&t, Path::new("out.webp")).unwrap();
        assert_eq!(formats_in(&webp), [Format::Webp]);
        let jpeg = transformation_for_file(&t, Path::new("OUT.JPEG")).unwrap();
        assert_eq!(formats_in(&jpeg), [Format::Jpg]);
        // an f- that agrees is kept; one that contradicts is refused
        let t: Transformation = "w-100,f-png".parse().unwrap();
        assert_eq!(transformation_for_file(&t, Path::new("a.png")).unwrap(), t);
        let err = transformation_for_file(&t, Path::new("a.webp")).unwrap_err();
        assert!(err.contains("f-png") && err.contains("a.webp"), "{err}");
        let err = transformation_for_file(&t, Path::new("a.bmp")).unwrap_err();
        assert!(err.contains(".bmp"), "{err}");

        // end to end: the bytes written are WebP
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jpg");
        fs::write(&input, sample_bytes()).unwrap();
        let file = dir.path().join("out.webp");
        let tasks = plan_tasks(std::slice::from_ref(&input), Some(&file)).unwrap();
        let tr = transformation_for_file(&"w-64".parse().unwrap(), &file).unwrap();
        let outcome = run_batch(&tasks, &tr, &[ImageFormat::Jpeg], &ProgressBar::hidden());
        assert_eq!(outcome.exit_code(), 0, "{:?}", outcome.results);
        assert_eq!(
            pixmize::engine::codec::detect(&fs::read(&file).unwrap()),
            Some(ImageFormat::Webp)
        );

        // f-auto picks JPEG here: writing it into a .webp name is refused
        let tr: Transformation = "w-64,f-auto".parse().unwrap();
        let tr = transformation_for_file(&tr, &file).unwrap();
        fs::remove_file(&file).unwrap();
        let outcome = run_batch(&tasks, &tr, &[ImageFormat::Jpeg], &ProgressBar::hidden());
        let err = outcome.results[0].as_ref().unwrap_err();
        assert!(err.contains("JPEG") && err.contains(".webp"), "{err}");
        assert!(!file.exists(), "nothing written");
    }

    #[test]
    fn an_input_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("photo.jpg");
        let original = sample_bytes();
        fs::write(&input, &original).unwrap();
        // output folder = input folder, output format = input format
        let tasks = plan_tasks(std::slice::from_ref(&input), Some(dir.path())).unwrap();
        let outcome = batch(&tasks, "w-64,f-jpg");
        let err = outcome.results[0].as_ref().unwrap_err();
        assert!(err.contains("refusing to overwrite the input"), "{err}");
        assert_eq!(outcome.exit_code(), 1);
        assert_eq!(fs::read(&input).unwrap(), original, "the input is untouched");
        assert_eq!(listing(dir.path()), ["photo.jpg"]);
        // -o naming the input itself
        let tasks = plan_tasks(std::slice::from_ref(&input), Some(&input)).unwrap();
        assert!(batch(&tasks, "w-64,f-jpg").results[0].is_err());
        assert_eq!(fs::read(&input).unwrap(), original);
    }

    #[test]
    fn a_bad_input_fails_alone_with_a_one_line_error() {
        let dir = tempfile::tempdir().unwrap();
        let inputs = dir.path().join("in");
        fs::create_dir(&inputs).unwrap();
        fs::write(inputs.join("a-good.jpg"), sample_bytes()).unwrap();
        fs::write(inputs.join("b-bad.jpg"), b"this is not an image\nat all").unwrap();
        let mut truncated = sample_bytes();
        truncated.truncate(truncated.len() / 2);
        fs::write(inputs.join("c-truncated.jpg"), truncated).unwrap();
        fs::write(inputs.join(".hidden.jpg"), b"skipped").unwrap();
        fs::write(inputs.join("d-good.png"), {
            let img = image::RgbaImage::from_pixel(40, 20, image::Rgba([9, 99, 199, 128]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        })
        .unwrap();

        fs::write(inputs.join("SOURCES.md"), b"# where the photos come from\n").unwrap();
        let Expanded { files, not_images } = expand(std::slice::from_ref(&inputs)).unwrap();
        assert_eq!(files.len(), 3, "hidden files and non-images are skipped: {files:?}");
        // By their bytes, not their names: the text file named .jpg is set
        // aside with SOURCES.md, the truncated JPEG is processed (and fails).
        assert_eq!(not_images, [inputs.join("SOURCES.md"), inputs.join("b-bad.jpg")]);
        // Named on the command line, a non-image is processed, and fails.
        let named = expand(&[inputs.join("b-bad.jpg")]).unwrap();
        assert_eq!(named.files, [inputs.join("b-bad.jpg")]);
        let files: Vec<PathBuf> = named.files.into_iter().chain(files).collect();
        let out = dir.path().join("out");
        let tasks = plan_tasks(&files, Some(&out)).unwrap();
        let outcome = batch(&tasks, "w-32");
        assert_eq!(outcome.failed(), 2, "{:?}", outcome.results);
        assert_eq!(outcome.exit_code(), 1, "non-zero exit when any input failed");
        for (task, r) in tasks.iter().zip(&outcome.results) {
            let name = task.input.file_name().unwrap().to_string_lossy();
            match r {
                Ok(dest) => assert!(name.contains("good") && dest.exists(), "{name}"),
                Err(e) => {
                    assert!(name.contains("bad") || name.contains("truncated"), "{name}: {e}");
                    assert!(!e.contains('\n') && !e.is_empty(), "one line: {e:?}");
                }
            }
        }
        assert!(outcome.results[0].as_ref().unwrap_err().contains("unrecognised image format"));
        assert!(outcome.results[2].as_ref().unwrap_err().contains("cannot decode JPEG"));
        // the good ones were written with f-auto's choices, and nothing else
        assert_eq!(listing(&out), ["a-good.jpg", "d-good.png"]);
        // with the permissions of any new file here (not tempfile's 0600)
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            fs::write(out.join("probe"), b"").unwrap();
            assert_eq!(mode(&out.join("a-good.jpg")), mode(&out.join("probe")));
        }
    }

    #[test]
    fn arguments() {
        let a = args(&["x.jpg", "--tr", "w-10,f-webp", "-o", "o", "--accept", "webp,JPG", "-q"])
            .unwrap();
        assert_eq!(a.inputs, [PathBuf::from("x.jpg")]);
        assert_eq!(a.transformation.to_string(), "w-10,f-webp");
        assert_eq!(a.accept, [ImageFormat::Webp, ImageFormat::Jpeg]);
        assert!(a.quiet && !a.help);
        assert_eq!(args(&[]).unwrap().transformation.to_string(), "w-800");
        assert!(args(&["--tr", "w-x"]).unwrap_err().starts_with("--tr: "));
        assert!(args(&["--bogus"]).unwrap_err().contains("unknown option"));
        assert!(args(&["--accept", "tga"]).unwrap_err().contains("tga"));
        assert!(args(&["-o"]).is_err());
    }

    #[test]
    fn errors_print_on_one_line_with_their_causes() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("cannot read\nthe file")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(one_line(&e), "cannot read the file: disk on fire");
    }
}
