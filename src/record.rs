//! Processing records: what ran where, when, under which clause, with what
//! outcome. Records hold no image bytes and no personal data beyond the
//! user id; text a transformation carries (text-layer inputs, AI prompts,
//! paths) is redacted.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use pixmize_core::Transformation;
use pixmize_core::transform::{LayerInput, Prompt, Step, Text};
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

    fn read_all(&self) -> Result<Vec<ProcessingRecord>, BoxError> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut out = Vec::new();
        for line in BufReader::new(file).lines() {
            let line = line?;
            if !line.trim().is_empty() {
                out.push(serde_json::from_str(&line)?);
            }
        }
        Ok(out)
    }
}

impl RecordSink for JsonLinesSink {
    fn record(&self, record: &ProcessingRecord) -> Result<(), BoxError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let mut file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        // One write per record, so concurrent appenders never interleave lines.
        file.write_all(&line)?;
        Ok(())
    }

    fn records_for(&self, user: &str) -> Result<Vec<ProcessingRecord>, BoxError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(self.read_all()?.into_iter().filter(|r| r.user.as_deref() == Some(user)).collect())
    }

    fn delete_for(&self, user: &str) -> Result<usize, BoxError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let all = self.read_all()?;
        let before = all.len();
        let kept: Vec<_> = all.into_iter().filter(|r| r.user.as_deref() != Some(user)).collect();
        let deleted = before - kept.len();
        if deleted == 0 {
            return Ok(0);
        }
        // Rewrite through a temporary file and a rename: never a half file.
        let tmp = self.path.with_extension("jsonl.tmp");
        {
            let mut f = File::create(&tmp)?;
            for r in &kept {
                let mut line = serde_json::to_vec(r)?;
                line.push(b'\n');
                f.write_all(&line)?;
            }
            f.sync_all()?;
        }
        fs::rename(&tmp, &self.path)?;
        Ok(deleted)
    }
}

/// The transformation with free text (text-layer inputs, prompts, named
/// transformations, default-image paths) replaced by `redacted`.
#[must_use]
pub fn redacted(t: &Transformation) -> String {
    fn text() -> Text {
        Text::new("redacted").unwrap_or_else(|| unreachable!("`redacted` is a valid text value"))
    }
    fn steps(t: &Transformation) -> Transformation {
        t.steps().iter().map(step).collect()
    }
    fn step(s: &Step) -> Step {
        match s {
            Step::Params(p) => {
                let mut p = p.clone();
                for prompt in [&mut p.change_bg, &mut p.edit].into_iter().flatten() {
                    *prompt = Prompt::Text(text());
                }
                if let Some(pixmize_core::transform::Background::GenFill(Some(prompt))) =
                    &mut p.background
                {
                    *prompt = Prompt::Text(text());
                }
                if p.named.is_some() {
                    p.named = Some(text());
                }
                if p.default_image.is_some() {
                    p.default_image = pixmize_core::transform::AssetPath::from_path("redacted");
                }
                for layer in &mut p.layers {
                    layer.input = LayerInput::Plain(text());
                    // Redaction keeps the nesting, so the depth stays legal;
                    // were it ever refused, the inner steps are dropped
                    // rather than kept unredacted.
                    let inner = steps(layer.transformation());
                    *layer = layer
                        .clone()
                        .with_transformation(inner)
                        .or_else(|| layer.clone().with_transformation(Transformation::default()))
                        .unwrap_or_else(|| layer.clone());
                }
                Step::Params(p)
            }
            other => other.clone(),
        }
    }
    steps(t).to_string()
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
