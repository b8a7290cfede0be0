//! The native reference for the browser test and benchmark: runs the same
//! `pixmize_web::process` call as the page, natively, with the same
//! pure-Rust codecs, and prints one JSON line.
//!
//! ```text
//! cargo run -p pixmize-web --release --example web-reference -- INPUT --tr "w-800,q-80" \
//!     [--accept webp,png] [-o OUT] [--compare OTHER] [--repeat N]
//! ```
//!
//! `--compare OTHER` decodes OTHER (say, the page's output) and this run's
//! output to RGBA and reports how far apart their pixels are; `--repeat N`
//! runs the job N times and reports the median time in milliseconds.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

const USAGE: &str = "usage: web-reference INPUT --tr TRANSFORMATION [--accept LIST] [-o OUT] \
[--compare FILE] [--repeat N]";

fn main() {
    if let Err(e) = try_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn try_main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (mut input, mut tr, mut accept, mut out, mut compare, mut repeat) =
        (None, None, None, None, None, 1usize);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--tr" => tr = Some(value()?),
            "--accept" => accept = Some(value()?.split(',').map(str::to_owned).collect::<Vec<_>>()),
            "-o" | "--out" => out = Some(PathBuf::from(value()?)),
            "--compare" => compare = Some(PathBuf::from(value()?)),
            "--repeat" => repeat = value()?.parse()?,
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag}\n{USAGE}").into());
            }
            path => input = Some(PathBuf::from(path)),
        }
    }
    let input = std::fs::read(input.ok_or(USAGE)?)?;
    let tr = tr.ok_or(USAGE)?;
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let r = pixmize_web::process(input.clone(), &tr, accept.as_deref())?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        result = Some(r);
    }
    let result = result.ok_or("no run")?;
    times.sort_by(f64::total_cmp);
    if let Some(path) = &out {
        std::fs::write(path, result.as_bytes())?;
    }
    let mut json = format!(
        "{{\"format\":\"{}\",\"width\":{},\"height\":{},\"bytes\":{},\"runs\":{},\"median_ms\":{:.1}",
        result.format(),
        result.width(),
        result.height(),
        result.as_bytes().len(),
        times.len(),
        times[times.len() / 2]
    );
    if let Some(other) = compare {
        let other = std::fs::read(other)?;
        let ours = image::load_from_memory(result.as_bytes())?.to_rgba8();
        let theirs = image::load_from_memory(&other)?.to_rgba8();
        if ours.dimensions() != theirs.dimensions() {
            return Err(format!(
                "sizes differ: {:?} here, {:?} there",
                ours.dimensions(),
                theirs.dimensions()
            )
            .into());
        }
        let (mut max, mut sum, mut off_by_more_than_1) = (0u8, 0u64, 0u64);
        for (a, b) in ours.pixels().zip(theirs.pixels()) {
            let d = a.0.iter().zip(b.0).map(|(x, y)| x.abs_diff(y)).max().unwrap_or(0);
            max = max.max(d);
            sum += u64::from(d);
            off_by_more_than_1 += u64::from(d > 1);
        }
        let pixels = u64::from(ours.width()) * u64::from(ours.height());
        json.push_str(&format!(
            ",\"compare\":{{\"max_diff\":{max},\"mean_diff\":{:.4},\"pixels_off_by_more_than_1\":{off_by_more_than_1},\"identical_bytes\":{}}}",
            sum as f64 / pixels.max(1) as f64,
            other == result.as_bytes()
        ));
    }
    json.push('}');
    println!("{json}");
    Ok(())
}
