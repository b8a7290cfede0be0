//! Processing records: what ran where, when, under which clause, with what
//! outcome. Records hold no image bytes and no personal data beyond the
//! user id; text a transformation carries (text-layer inputs, AI prompts,
//! fonts, paths), in any step, conditional branch or nested layer, is
//! redacted (see [`redacted`]).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use pixmize_core::Transformation;
use pixmize_core::transform::{
    AssetPath, Background, Conditional, Layer, LayerInput, Page, Params, Prompt, Raw, Step, Text,
};
use serde::{Deserialize, Serialize};

use crate::error::BoxError;

/// One processed (or refused) job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProcessingRecord {
    /// A unique id.
    pub id: String,
    /// When, in seconds since the Unix epoch.
    pub at: u64,
    /// The user's id, or `None` for an anonymous caller.
    pub user: Option<String>,
    /// The transformation, with any free text redacted.
    pub transformation: String,
    /// `device`, or `cloud:<recipient>`; `none` when the job was refused.
    pub location: String,
    /// The rule that decided: `device:supported`, `device:fallback (…)`,
    /// `policy:<clause>`, `plan:<rule>`; for jobs that failed before a
    /// decision, `unsupported` (nothing can run it), `input` (unreadable)
    /// or `error`.
    pub decided_by: String,
    /// The policy version in force when the job ran ([`Hybrid`](crate::Hybrid)
    /// always sets it).
    pub policy_version: Option<String>,
    /// The input's size in bytes.
    pub input_bytes: u64,
    /// What happened.
    pub outcome: Outcome,
}

/// The outcome of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Processed.
    Processed {
        /// Output format (`jpeg`, `png`…).
        format: String,
        /// Output width.
        width: u32,
        /// Output height.
        height: u32,
        /// Output size in bytes.
        bytes: u64,
    },
    /// Refused; nothing left the device.
    Denied {
        /// Why.
        reason: String,
    },
    /// Failed while processing.
    Failed {
        /// The error, without its sources.
        error: String,
    },
}

/// Where records go.
pub trait RecordSink: Send + Sync {
    /// Stores a record.
    ///
    /// # Errors
    /// When the record cannot be stored.
    fn record(&self, record: &ProcessingRecord) -> Result<(), BoxError>;

    /// The records of `user`, oldest first.
    ///
    /// # Errors
    /// When the records cannot be read.
    fn records_for(&self, user: &str) -> Result<Vec<ProcessingRecord>, BoxError>;

    /// Deletes the records of `user`; returns how many were deleted.
    ///
    /// # Errors
    /// When the records cannot be rewritten.
    fn delete_for(&self, user: &str) -> Result<usize, BoxError>;
}

/// Records kept in memory.
#[derive(Debug, Default)]
pub struct MemorySink {
    records: Mutex<Vec<ProcessingRecord>>,
}

impl MemorySink {
    /// An empty sink.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record, oldest first.
    #[must_use]
    pub fn all(&self) -> Vec<ProcessingRecord> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl RecordSink for MemorySink {
    fn record(&self, record: &ProcessingRecord) -> Result<(), BoxError> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner).push(record.clone());
        Ok(())
    }

    fn records_for(&self, user: &str) -> Result<Vec<ProcessingRecord>, BoxError> {
        let records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(records.iter().filter(|r| r.user.as_deref() == Some(user)).cloned().collect())
    }

    fn delete_for(&self, user: &str) -> Result<usize, BoxError> {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        let before = records.len();
        records.retain(|r| r.user.as_deref() != Some(user));
        Ok(before - records.len())
    }
}

/// Records appended to a JSON-lines file, one record a line.
#[derive(Debug)]
pub struct JsonLinesSink {
    path: PathBuf,
    lock: Mutex<()>,
}

impl JsonLinesSink {
    /// Appends to `path`, creating it when missing.
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), lock: Mutex::new(()) }
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes; nothing when it does not exist yet.
    fn read(&self) -> Result<Vec<u8>, BoxError> {
        match fs::read(&self.path) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The lines of a [`JsonLinesSink`] file (without their `\n`), each parsed
/// when it is a record; empty lines are left out.
fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.trim_ascii().is_empty())
        .map(|line| Line { record: serde_json::from_slice(line).ok(), raw: line })
}

/// A line of a [`JsonLinesSink`] file: a record, or a line that does not
/// parse as one (torn by a crash mid-write, or edited by hand).
struct Line<'a> {
    record: Option<ProcessingRecord>,
    raw: &'a [u8],
}

/// How a user id can appear in a line that does not parse: as is, and
/// JSON-escaped (without the quotes around it).
struct IdForms {
    user: String,
    escaped: String,
}

impl IdForms {
    fn new(user: &str) -> Self {
        let quoted = serde_json::to_string(user).unwrap_or_default();
        // `to_string` of a string is always `"…"`: drop exactly those quotes.
        let escaped = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
        IdForms { user: user.to_owned(), escaped: escaped.to_owned() }
    }
}

impl Line<'_> {
    /// Whether this line may hold the user's data: its record is theirs, or
    /// it does not parse and mentions their id.
    fn may_belong_to(&self, id: &IdForms) -> bool {
        match &self.record {
            Some(r) => r.user.as_deref() == Some(id.user.as_str()),
            None => [&id.user, &id.escaped].iter().any(|f| mentions(self.raw, f.as_bytes())),
        }
    }
}

/// Whether `id` occurs in `line` as a whole id: not inside a longer one
/// (`user_a` is not in `user_ab`), but possibly cut off by the line's end.
fn mentions(line: &[u8], id: &[u8]) -> bool {
    let part_of_id = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-';
    !id.is_empty()
        && line.windows(id.len()).enumerate().any(|(at, w)| {
            w == id
                && (at == 0 || !part_of_id(&line[at - 1]))
                && line.get(at + id.len()).is_none_or(|b| !part_of_id(b))
        })
}

impl RecordSink for JsonLinesSink {
    fn record(&self, record: &ProcessingRecord) -> Result<(), BoxError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut file = OpenOptions::new().read(true).create(true).append(true).open(&self.path)?;
        // A line torn by a crash has no `\n`: start on a line of our own,
        // so this record does not become part of the torn one.
        if file.metadata()?.len() > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::End(-1))?;
            file.read_exact(&mut last)?;
            if last != *b"\n" {
                line.insert(0, b'\n');
            }
        }
        // One write per record, so concurrent appenders never interleave lines.
        file.write_all(&line)?;
        Ok(())
    }

    /// The records of `user`; lines that do not parse as records are
    /// skipped.
    fn records_for(&self, user: &str) -> Result<Vec<ProcessingRecord>, BoxError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(lines(&self.read()?)
            .filter_map(|l| l.record)
            .filter(|r| r.user.as_deref() == Some(user))
            .collect())
    }

    /// Deletes the records of `user`, and the lines that do not parse as
    /// records but contain `user`'s id (they may be that user's data);
    /// other such lines are kept as they are. Returns how many lines were
    /// deleted.
    fn delete_for(&self, user: &str) -> Result<usize, BoxError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let bytes = self.read()?;
        let id = IdForms::new(user);
        let (mut kept, mut deleted) = (Vec::new(), 0usize);
        for line in lines(&bytes) {
            if line.may_belong_to(&id) {
                deleted += 1;
            } else {
                kept.push(line);
            }
        }
        if deleted == 0 {
            return Ok(0);
        }
        // Rewrite through a temporary file and a rename: never a half file.
        let tmp = self.path.with_extension("jsonl.tmp");
        {
            let mut f = File::create(&tmp)?;
            for l in &kept {
                f.write_all(l.raw)?;
                f.write_all(b"\n")?;
            }
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        Ok(deleted)
    }
}

/// The transformation with every free-text value replaced by `redacted`,
/// wherever it sits: in a step, in either branch of a conditional (`if-…`),
/// and in layers nested at any depth.
///
/// Free text is every value the language takes as written: text-layer
/// inputs (`i-`, `ie-`), image-layer paths, fonts (`ff-`, which can name an
/// uploaded font file), AI prompts (`e-changebg`, `e-edit`, `bg-genfill`),
/// named transformations (`n-`), default images (`di-`), page names
/// (`pg-name-`) and the values ImageKit alone interprets (`cr-`,
/// `e-colorize-`, `e-distort-`). Everything else (sizes, crops, colours,
/// conditions…) is kept, and the result parses as a transformation.
///
/// ```
/// let t = "if-w_gt_300,l-text,i-Alice%20Smith,ff-Fonts@@alice.ttf,l-end,if-end".parse()?;
/// assert_eq!(
///     pixmize::redacted(&t),
///     "if-w_gt_300,l-text,i-redacted,ff-redacted,l-end,if-end"
/// );
/// # Ok::<(), pixmize::engine::ParseError>(())
/// ```
#[must_use]
pub fn redacted(t: &Transformation) -> String {
    redact_chain(t).to_string()
}

fn redaction() -> Text {
    Text::new("redacted").unwrap_or_else(|| unreachable!("`redacted` is a valid text value"))
}

/// Redaction keeps the structure (steps, branches, nesting), so every
/// rebuilt value is as legal as the original; were one ever refused, the
/// part is dropped rather than kept unredacted. The recursion is bounded:
/// conditionals do not nest and layers nest at most three deep.
fn redact_chain(t: &Transformation) -> Transformation {
    t.steps().iter().filter_map(redact_step).collect()
}

fn redact_step(s: &Step) -> Option<Step> {
    match s {
        Step::Params(p) => Some(Step::Params(redact_params(p))),
        Step::If(c) => {
            let mut out = Conditional::new(c.condition().clone(), redact_chain(c.then()))?;
            if let Some(otherwise) = c.otherwise() {
                out = out.with_else(redact_chain(otherwise))?;
            }
            Some(Step::If(out))
        }
        // A kind of step this version does not know may hold free text:
        // leave it out of the record.
        _ => None,
    }
}

fn redact_params(p: &Params) -> Params {
    let mut p = p.clone();
    for prompt in [&mut p.change_bg, &mut p.edit].into_iter().flatten() {
        *prompt = Prompt::Text(redaction());
    }
    if let Some(Background::GenFill(Some(prompt))) = &mut p.background {
        *prompt = Prompt::Text(redaction());
    }
    for text in [&mut p.named, &mut p.color_replace, &mut p.distort].into_iter().flatten() {
        *text = redaction();
    }
    if let Some(Raw::Value(text)) = &mut p.colorize {
        *text = redaction();
    }
    if let Some(Page::Name(name)) = &mut p.page {
        *name = redaction();
    }
    if p.default_image.is_some() {
        p.default_image = AssetPath::from_path("redacted");
    }
    p.layers = p.layers.iter().map(redact_layer).collect();
    p
}

fn redact_layer(layer: &Layer) -> Layer {
    let mut out = layer.clone();
    out.input = LayerInput::Plain(redaction());
    if out.font_family.is_some() {
        out.font_family = Some(redaction());
    }
    let inner = redact_chain(layer.transformation());
    match out.clone().with_transformation(inner) {
        Some(layer) => layer,
        None => out
            .with_transformation(Transformation::default())
            .unwrap_or_else(|| unreachable!("an empty transformation nests no layer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user: Option<&str>, n: u64) -> ProcessingRecord {
        ProcessingRecord {
            id: format!("r{n}"),
            at: n,
            user: user.map(str::to_owned),
            transformation: "w-100".into(),
            location: "device".into(),
            decided_by: "device:supported".into(),
            policy_version: None,
            input_bytes: 10,
            outcome: Outcome::Processed {
                format: "jpeg".into(),
                width: 100,
                height: 50,
                bytes: 900,
            },
        }
    }

    #[test]
    fn json_lines_sink_appends_reads_and_deletes() {
        let dir = std::env::temp_dir().join(format!("pixmize-records-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let sink = JsonLinesSink::new(dir.join("records.jsonl"));
        sink.record(&record(Some("user_a"), 1)).unwrap();
        sink.record(&record(Some("user_b"), 2)).unwrap();
        sink.record(&record(Some("user_a"), 3)).unwrap();
        sink.record(&record(None, 4)).unwrap();
        assert_eq!(sink.records_for("user_a").unwrap().len(), 2);
        assert_eq!(sink.delete_for("user_a").unwrap(), 2);
        assert_eq!(sink.delete_for("user_a").unwrap(), 0, "idempotent");
        assert!(sink.records_for("user_a").unwrap().is_empty());
        assert_eq!(sink.records_for("user_b").unwrap()[0], record(Some("user_b"), 2));
        let text = fs::read_to_string(sink.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn torn_lines_are_skipped_kept_or_deleted_with_their_user() {
        let dir = tempfile::tempdir().unwrap();
        let sink = JsonLinesSink::new(dir.path().join("records.jsonl"));
        sink.record(&record(Some("user_a"), 1)).unwrap();
        sink.record(&record(Some("user_ab"), 2)).unwrap();
        let a = serde_json::to_string(&record(Some("user_a"), 3)).unwrap();
        let ab = serde_json::to_string(&record(Some("user_ab"), 4)).unwrap();
        let torn = |line: &str| line[..line.find("transformation").unwrap() + 5].to_owned();
        let mut text = fs::read_to_string(sink.path()).unwrap();
        for line in [
            torn(&a).as_str(),
            &torn(&ab),
            "not a record",
            "{\"id\":\"r9\",\"at\":9,\"user\":\"user_a",
        ] {
            text.push_str(line);
            text.push('\n');
        }
        // A crash mid-write: the last line has no end.
        text.push_str(&torn(&ab));
        fs::write(sink.path(), text).unwrap();

        // Appending after a torn line starts a line of its own.
        sink.record(&record(Some("user_a"), 5)).unwrap();
        let ids = |user| -> Vec<String> {
            sink.records_for(user).unwrap().into_iter().map(|r| r.id).collect()
        };
        assert_eq!(ids("user_a"), ["r1", "r5"], "torn lines are skipped");
        assert_eq!(ids("user_ab"), ["r2"]);

        // user_a's torn lines go with their records, everything else stays as it was.
        assert_eq!(sink.delete_for("user_a").unwrap(), 4);
        assert!(ids("user_a").is_empty());
        let left = fs::read_to_string(sink.path()).unwrap();
        let expected = [
            serde_json::to_string(&record(Some("user_ab"), 2)).unwrap(),
            torn(&ab),
            "not a record".to_owned(),
            torn(&ab),
        ];
        assert_eq!(left.lines().collect::<Vec<_>>(), expected);
        assert_eq!(sink.delete_for("user_a").unwrap(), 0, "idempotent");
        assert_eq!(sink.delete_for("user_ab").unwrap(), 3);
        assert_eq!(fs::read_to_string(sink.path()).unwrap(), "not a record\n");
    }

    #[test]
    fn ids_are_found_whole() {
        const CASES: &[(&str, &str, bool)] = &[
            (r#"{"user":"user_a","#, "user_a", true),
            (r#"{"user":"user_a"#, "user_a", true),
            (r#"{"user":"user_ab","#, "user_a", false),
            (r#"{"user":"xuser_a","#, "user_a", false),
            (r#"{"user":"user_"#, "user_a", false),
            ("user_a", "user_a", true),
            (r#"{"user":"a\"b"}"#, r#"a\"b"#, true),
            ("anything", "", false),
        ];
        for (line, id, found) in CASES {
            assert_eq!(mentions(line.as_bytes(), id.as_bytes()), *found, "{id:?} in {line:?}");
        }
        let line = Line { record: None, raw: br#"{"user":"a\"b"# };
        assert!(line.may_belong_to(&IdForms::new("a\"b")), "the id as JSON writes it");
        // Only the two quotes JSON adds are dropped: an id ending in `"`
        // keeps its escaped quote.
        assert_eq!(IdForms::new("a\"").escaped, r#"a\""#);
    }

    #[test]
    fn free_text_is_redacted() {
        let t: Transformation =
            "w-300,l-text,i-Alice%20Smith,fs-20,l-end:e-changebg-prompt-my%20house,n-secret"
                .parse()
                .unwrap();
        let r = redacted(&t);
        assert!(!r.contains("Alice") && !r.contains("house") && !r.contains("secret"), "{r}");
        assert!(r.contains("w-300") && r.contains("fs-20"), "{r}");
        assert!(r.parse::<Transformation>().is_ok(), "still a transformation: {r}");
    }
}
