//! Golden geometry cases from `tests/fixtures/plan/cases.txt`.
//!
//! Each case is one line:
//!
//! ```text
//! 640x865 | w-300,h-200,c-at_max => resize 148x200, crop 0,0 148x200, pad 0,0,0,0, out 148x200
//! ```
//!
//! The source size may be followed by context options: `hint-width=N` (the
//! `Sec-CH-Width` client hint), `hint-dpr=X`, `max-side=N` and
//! `max-pixels=N` (the limits). A chain of several steps is planned step by
//! step, each on the previous step's output, and the plans are joined by
//! ` ; `. Padding is `top,right,bottom,left`. A step that cannot be planned
//! gives `ERR <PlanError variant>` (with the parameter's key for the
//! variants that carry one), and the steps after it are not planned.
//!
//! `PIXMIZE_BLESS=1 cargo test -p pixmize-core --test plan_cases` rewrites the
//! expected side, keeping inputs and comments.

use std::fmt::Write as _;
use std::path::PathBuf;

use pixmize_core::geometry::{Dimensions, Plan, PlanContext, PlanError, plan_with};
use pixmize_core::{Step, Transformation};

const SEP: &str = " => ";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan/cases.txt")
}

fn show(p: &Plan) -> String {
    let (c, pad) = (p.crop, p.pad);
    format!(
        "resize {}, crop {},{} {}x{}, pad {},{},{},{}, out {}",
        p.resize, c.x, c.y, c.width, c.height, pad.top, pad.right, pad.bottom, pad.left, p.output
    )
}

fn show_err(e: &PlanError) -> String {
    let debug = format!("{e:?}");
    let variant = debug.split(['(', ' ', '{']).next().unwrap_or_default().to_owned();
    match e {
        PlanError::Expression { key, .. } | PlanError::InvalidValue { key, .. } => {
            format!("ERR {variant} {key}")
        }
        _ => format!("ERR {variant}"),
    }
}

fn dims(s: &str) -> Result<Dimensions, String> {
    let (w, h) = s.split_once('x').ok_or_else(|| format!("`{s}` is not WxH"))?;
    let n = |v: &str| v.parse::<u32>().map_err(|e| format!("`{v}`: {e}"));
    Ok(Dimensions::new(n(w)?, n(h)?))
}

/// The context of the first step from `640x865 hint-width=300 …`.
fn context(spec: &str) -> Result<PlanContext, String> {
    let mut words = spec.split_whitespace();
    let size = dims(words.next().ok_or("no source size")?)?;
    let mut ctx = PlanContext::new(size);
    for word in words {
        let (k, v) = word.split_once('=').ok_or_else(|| format!("`{word}` is not key=value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("`{word}`: {e}");
        match k {
            "hint-width" => ctx.client_width = Some(v.parse().map_err(|e| bad(&e))?),
            "hint-dpr" => ctx.client_dpr = Some(v.parse().map_err(|e| bad(&e))?),
            "max-side" => ctx.limits.max_side = v.parse().map_err(|e| bad(&e))?,
            "max-pixels" => ctx.limits.max_pixels = v.parse().map_err(|e| bad(&e))?,
            _ => return Err(format!("unknown option `{k}`")),
        }
    }
    Ok(ctx)
}

/// Checks what every plan must satisfy.
fn check(p: &Plan, input: Dimensions) -> Result<(), String> {
    let c = p.crop;
    if u64::from(c.x) + u64::from(c.width) > u64::from(p.resize.width)
        || u64::from(c.y) + u64::from(c.height) > u64::from(p.resize.height)
    {
        return Err(format!("the crop {c:?} is not inside the resized {}", p.resize));
    }
    let out =
        Dimensions::new(c.width + p.pad.left + p.pad.right, c.height + p.pad.top + p.pad.bottom);
    if out != p.output {
        return Err(format!("crop + pad is {out}, not the output {}", p.output));
    }
    if p.output.width == 0 || p.output.height == 0 {
        return Err(format!("empty output {}", p.output));
    }
    if p.resize == input && p.crop.size() == input && p.pad.is_zero() != p.is_identity(input) {
        return Err("is_identity disagrees with the plan".to_owned());
    }
    Ok(())
}

/// Plans every step of `chain`; the notation of the golden file.
fn outcome(spec: &str, chain: &str) -> Result<String, String> {
    let mut ctx = context(spec)?;
    let t: Transformation = chain.parse().map_err(|e| format!("{chain:?}: {e}"))?;
    if t.is_empty() {
        return Err("a plan case needs at least one step".to_owned());
    }
    let mut plans = Vec::new();
    for step in t.steps() {
        let Step::Params(params) = step else {
            return Err("plan cases take parameter steps, not conditionals".to_owned());
        };
        match plan_with(params, &ctx) {
            Ok(p) => {
                check(&p, ctx.current)?;
                plans.push(show(&p));
                ctx = ctx.with_current(p.output);
            }
            Err(e) => {
                plans.push(show_err(&e));
                break;
            }
        }
    }
    Ok(plans.join(" ; "))
}

#[test]
fn golden_plan_cases() {
    let path = fixture();
    let text = std::fs::read_to_string(&path).expect("the golden file exists");
    let bless = std::env::var_os("PIXMIZE_BLESS").is_some();
    let mut blessed = String::new();
    let mut failures = Vec::new();
    let mut cases = 0;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            blessed.push_str(line);
            blessed.push('\n');
            continue;
        }
        cases += 1;
        let (case, expected) = match line.split_once(SEP.trim_end()) {
            Some((c, e)) => (c.trim_end(), Some(e.trim()).filter(|e| !e.is_empty())),
            None => (line.trim_end(), None),
        };
        let Some((spec, chain)) = case.split_once(" | ") else {
            failures.push(format!("line {n}: expected `SIZE | transformation`: {line}"));
            blessed.push_str(line);
            blessed.push('\n');
            continue;
        };
        let actual = match outcome(spec, chain.trim()) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("line {n}: {case}: {e}"));
                blessed.push_str(line);
                blessed.push('\n');
                continue;
            }
        };
        let _ = writeln!(blessed, "{case}{SEP}{actual}");
        match expected {
            Some(e) if e == actual => {}
            Some(e) if !bless => {
                failures.push(format!("line {n}: {case}\n  expected {e}\n  actual   {actual}"))
            }
            None if !bless => failures.push(format!("line {n}: no expectation for {case}")),
            _ => {}
        }
    }
    if bless {
        std::fs::write(&path, blessed).expect("write the golden file");
    }
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
    assert!(cases >= 70, "at least 70 cases, found {cases}");
}
