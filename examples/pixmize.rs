//! The main command: run one transformation over images on this device.
//!
//! ```text
//! cargo run --release --example pixmize -- INPUT... --tr "w-800,f-webp" -o OUT
//! ```
//!
//! INPUT is files or folders (folders are read one level deep); OUT is a
//! file when there is one input, otherwise a folder (default
//! `pixmize-out/`). With no INPUT it processes the bundled sample photo.
//! Batches run in parallel with rayon (`RAYON_NUM_THREADS` sets the
//! threads). Outputs are written to a temporary file and renamed, so a
//! failure leaves no partial file, and an input is never overwritten. A bad
//! input gets a one-line error and the rest of the batch goes on; the exit
//! code is 1 if any input failed.

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use pixmize::engine::codec::ImageFormat;
use pixmize::engine::{Job, LocalProcessor, Transformation};
use rayon::prelude::*;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/assets/seeding-1600x900.jpg");
const USAGE: &str =
    "usage: pixmize [INPUT...] [--tr TRANSFORMATION] [-o OUT] [--accept jpg,png,webp,avif]";

struct Args {
    inputs: Vec<PathBuf>,
    transformation: Transformation,
    out: Option<PathBuf>,
    accept: Vec<ImageFormat>,
    quiet: bool,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let mut inputs = Vec::new();
    let mut tr = None;
    let mut out = None;
    let mut accept = vec![ImageFormat::Jpeg, ImageFormat::Png];
    let mut quiet = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--tr" | "-t" => tr = Some(args.next().ok_or("--tr needs a transformation")?),
            "-o" | "--out" => out = Some(PathBuf::from(args.next().ok_or("-o needs a path")?)),
            "--accept" => {
                let list = args.next().ok_or("--accept needs a list")?;
                accept = list
                    .split(',')
                    .map(|f| match f {
                        "jpg" | "jpeg" => Ok(ImageFormat::Jpeg),
                        "png" => Ok(ImageFormat::Png),
                        "webp" => Ok(ImageFormat::Webp),
                        "avif" => Ok(ImageFormat::Avif),
                        "gif" => Ok(ImageFormat::Gif),
                        other => Err(format!("--accept: unknown format `{other}`")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "-q" | "--quiet" => quiet = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag}\n{USAGE}").into());
            }
            path => inputs.push(PathBuf::from(path)),
        }
    }
    let transformation: Transformation = tr.as_deref().unwrap_or("w-800").parse()?;
    Ok(Args { inputs, transformation, out, accept, quiet })
}

/// Expands folders (one level) into their files, sorted.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Box<dyn Error>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut entries: Vec<PathBuf> = fs::read_dir(input)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

/// Writes `bytes` to `dest` through a temporary file in the same folder.
fn write_atomically(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn try_main() -> Result<bool, Box<dyn Error>> {
    let args = parse_args()?;
    let sample = args.inputs.is_empty();
    let inputs = if sample { vec![PathBuf::from(SAMPLE)] } else { expand(&args.inputs)? };
    if inputs.is_empty() {
        return Err("no input files".into());
    }
    let single_file_out = inputs.len() == 1
        && args.out.as_ref().is_some_and(|o| !o.is_dir() && o.extension().is_some());
    let out_dir = match (&args.out, single_file_out) {
        (Some(o), false) => o.clone(),
        (Some(o), true) => o.parent().map(Path::to_path_buf).unwrap_or_default(),
        (None, _) => PathBuf::from("pixmize-out"),
    };
    if !out_dir.as_os_str().is_empty() {
        fs::create_dir_all(&out_dir)?;
    }
    let canonical_inputs: Vec<PathBuf> =
        inputs.iter().filter_map(|p| fs::canonicalize(p).ok()).collect();
    let engine = LocalProcessor::new();
    let bar =
        if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(inputs.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let (bytes_in, bytes_out, pixels) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let start = Instant::now();
    let results: Vec<Result<PathBuf, String>> = inputs
        .par_iter()
        .map(|input| {
            let run = || -> Result<PathBuf, Box<dyn Error>> {
                let data = fs::read(input)?;
                bytes_in.fetch_add(data.len() as u64, Ordering::Relaxed);
                let job =
                    Job::new(data, args.transformation.clone()).accept(args.accept.iter().copied());
                let out = engine.process_sync(job)?;
                let dest = match (&args.out, single_file_out) {
                    (Some(o), true) => o.clone(),
                    _ => {
                        let stem = input.file_stem().unwrap_or_default().to_string_lossy();
                        out_dir.join(format!("{stem}.{}", out.format.extension()))
                    }
                };
                if fs::canonicalize(&dest).is_ok_and(|d| canonical_inputs.contains(&d)) {
                    return Err(
                        format!("refusing to overwrite the input {}", dest.display()).into()
                    );
                }
                write_atomically(&dest, &out.bytes)?;
                bytes_out.fetch_add(out.bytes.len() as u64, Ordering::Relaxed);
                pixels.fetch_add(u64::from(out.width) * u64::from(out.height), Ordering::Relaxed);
                Ok(dest)
            };
            let r = run().map_err(|e| {
                let mut msg = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    msg.push_str(&format!(": {s}"));
                    source = s.source();
                }
                msg
            });
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let elapsed = start.elapsed();
    let mut failed = 0;
    for (input, r) in inputs.iter().zip(&results) {
        match r {
            Ok(dest) if sample => {
                println!("processed the bundled sample {} -> {}", input.display(), dest.display())
            }
            Ok(dest) if inputs.len() == 1 => println!("{} -> {}", input.display(), dest.display()),
            Ok(_) => {}
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", input.display());
            }
        }
    }
    let secs = elapsed.as_secs_f64();
    let mb = |b: &AtomicU64| b.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "{} files ({} failed), {:.2} MB in, {:.2} MB out, {:.3} s, {:.1} output MP/s, transformation `{}`",
        inputs.len(),
        failed,
        mb(&bytes_in),
        mb(&bytes_out),
        secs,
        pixels.load(Ordering::Relaxed) as f64 / 1e6 / secs.max(1e-9),
        args.transformation,
    );
    Ok(failed == 0)
}

fn main() {
    match try_main() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}
