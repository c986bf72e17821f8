//! Turning Rhai's nested errors into one readable message: `file:line:col: message`, the
//! position being the innermost one inside the runbook itself, followed by where inside
//! modules it happened.

use crate::raise::without_position;
use rhai::{EvalAltResult, ParseError, Position};
use std::fmt;

/// An error as the user sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// What went wrong and what to try.
    pub message: String,
    /// The runbook (or module) it happened in, when it happened in one.
    pub file: Option<String>,
    /// 1-based line in `file`.
    pub line: Option<usize>,
    /// 1-based column in `file`.
    pub col: Option<usize>,
    /// Deeper frames, in modules: "in fn 'health' at stdlib/etcd.rhai:4:9".
    pub trace: Vec<String>,
    /// 2 for errors found before anything ran (syntax, modules), 1 otherwise.
    pub exit_code: i32,
    /// The host whose command failure this is, when a command's failure ended the run.
    pub fault: Option<crate::raise::Fault>,
    /// Already shown to the user through the event stream; callers need not print it.
    pub reported: bool,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.col) {
            (Some(file), Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: ")?,
            (Some(file), _, _) => write!(f, "{file}: ")?,
            _ => {}
        }
        f.write_str(&self.message)?;
        for t in &self.trace {
            write!(f, "\n  {t}")?;
        }
        Ok(())
    }
}

impl Diagnostic {
    /// The message and trace, without the leading `file:line:col: `.
    pub fn to_string_without_location(&self) -> String {
        let mut s = self.message.clone();
        for t in &self.trace {
            s.push_str("\n  ");
            s.push_str(t);
        }
        s
    }
}

fn pos_parts(p: Position) -> (Option<usize>, Option<usize>) {
    (p.line(), p.position())
}

impl Diagnostic {
    /// An error with no position (usage, I/O), exiting with `exit_code`.
    pub fn plain(message: impl Into<String>, exit_code: i32) -> Self {
        Diagnostic {
            message: message.into(),
            file: None,
            line: None,
            col: None,
            trace: Vec::new(),
            exit_code,
            fault: None,
            reported: false,
        }
    }

    /// A syntax error in `file` (exit code 2).
    pub fn from_parse(file: &str, err: &ParseError) -> Self {
        let (line, col) = pos_parts(err.position());
        Diagnostic {
            message: format!("syntax error: {}", err.err_type()),
            file: Some(file.to_string()),
            line,
            col,
            trace: Vec::new(),
            exit_code: 2,
            fault: None,
            reported: false,
        }
    }

    /// `file` is the runbook's name as the user gave it (the main AST's source).
    pub fn from_eval(file: &str, err: &EvalAltResult) -> Self {
        // (source file, position, what was being called there)
        let mut frames: Vec<(String, Position, String)> = Vec::new();
        let mut src = file.to_string();
        let mut cur = err;
        let mut exit_code = 1;
        loop {
            match cur {
                EvalAltResult::ErrorInFunctionCall(name, fn_src, inner, pos) => {
                    let what = if name.starts_with("anon$") {
                        "in closure".to_string()
                    } else {
                        format!("in fn '{name}'")
                    };
                    frames.push((src.clone(), *pos, what));
                    if !fn_src.is_empty() {
                        src = fn_src.to_string();
                    }
                    cur = inner;
                }
                EvalAltResult::ErrorInModule(name, inner, pos) => {
                    frames.push((src.clone(), *pos, format!("importing '{name}'")));
                    src = name.to_string();
                    exit_code = 2;
                    if let EvalAltResult::ErrorParsing(t, p) = &**inner {
                        let message = match t {
                            // A check's finding (engine/lint.rs), not a syntax error.
                            rhai::ParseErrorType::BadInput(rhai::LexError::Runtime(m)) => {
                                format!("{m}; nothing was run")
                            }
                            t => format!("syntax error in module: {t}"),
                        };
                        return Diagnostic {
                            message,
                            file: Some(src),
                            line: p.line(),
                            col: p.position(),
                            trace: frames
                                .iter()
                                .map(|(f, p, w)| {
                                    format!(
                                        "{w} at {f}:{}:{}",
                                        p.line().unwrap_or(0),
                                        p.position().unwrap_or(0)
                                    )
                                })
                                .collect(),
                            exit_code,
                            fault: None,
                            reported: false,
                        };
                    }
                    cur = inner;
                }
                leaf => {
                    frames.push((src.clone(), leaf.position(), String::new()));
                    break;
                }
            }
        }
        if matches!(cur, EvalAltResult::ErrorParsing(..)) {
            exit_code = 2;
        }
        let message = leaf_message(cur);
        // The innermost frame inside the runbook is where the user should look.
        let primary = frames
            .iter()
            .rposition(|(f, p, _)| f == file && !p.is_none())
            .or_else(|| frames.iter().rposition(|(_, p, _)| !p.is_none()))
            .unwrap_or(frames.len() - 1);
        let (pfile, ppos, _) = &frames[primary];
        let trace = frames[primary + 1..]
            .iter()
            .zip(frames[primary..].iter())
            .filter(|((_, p, _), _)| !p.is_none())
            .map(|((f, p, _), (_, _, what))| {
                let what = if what.is_empty() {
                    "at".to_string()
                } else {
                    format!("{what} at")
                };
                format!(
                    "{what} {f}:{}:{}",
                    p.line().unwrap_or(0),
                    p.position().unwrap_or(0)
                )
            })
            .collect();
        let (line, col) = pos_parts(*ppos);
        Diagnostic {
            message,
            file: Some(pfile.clone()),
            line,
            col,
            trace,
            exit_code,
            fault: crate::raise::fault_of(err),
            reported: false,
        }
    }
}

/// The innermost error, in words, without Rhai's "(line x, position y)" suffix.
fn leaf_message(err: &EvalAltResult) -> String {
    match err {
        EvalAltResult::ErrorRuntime(d, _) => {
            if d.is_unit() {
                "runtime error".into()
            } else {
                d.to_string()
            }
        }
        EvalAltResult::ErrorFunctionNotFound(sig, _) => format!(
            "unknown function or wrong argument types: {sig} (see docs/reference.md for rb's functions)"
        ),
        EvalAltResult::ErrorVariableNotFound(name, _) => format!("undefined variable `{name}`"),
        EvalAltResult::ErrorModuleNotFound(name, _) => format!("module not found: {name}"),
        EvalAltResult::ErrorTerminated(_, _) => "interrupted".into(),
        EvalAltResult::ErrorTooManyOperations(_) => "the runbook went past its operation limit (a loop that never ends?); if the work is meant to be that long, raise --max-operations (0: no limit)".into(),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            let limit = crate::limits::limits();
            format!(
                "{what} went past rb's limit (strings {} MiB, arrays {} items, maps {} entries, counted with what they hold): a value that keeps growing?",
                limit.0 >> 20,
                limit.1,
                limit.2
            )
        }
        EvalAltResult::ErrorParsing(t, _) => format!("syntax error: {t}"),
        other => without_position(&other.to_string()),
    }
}

/// A source file's text; bytes that are not UTF-8 are an error at their line and column.
/// A UTF-8 byte order mark (editors on Windows write one) is dropped.
pub fn utf8_text(name: &str, mut bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Diagnostic {
            file: Some(name.to_string()),
            line: Some(line),
            col: Some(col),
            ..Diagnostic::plain("not valid UTF-8 here; save the file as UTF-8", 2)
        }
    })
}
