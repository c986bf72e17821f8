//! The inventory's one error type: each says where, what, and what to try.

use crate::Origin;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A problem at a place in a file.
    #[error("{at}: {message}")]
    At { at: Origin, message: String },
    /// A source that is no inventory rb can read.
    #[error("{src}: {message}")]
    Source { src: String, message: String },
    #[error("invalid host pattern `{pattern}`: {message}")]
    Pattern { pattern: String, message: String },
    #[error(
        "unknown order `{0}`; use inventory, reverse_inventory, sorted, reverse_sorted or shuffle"
    )]
    UnknownOrder(String),
    #[error("no host `{0}` in the inventory; `rb inventory --list` shows the hosts")]
    UnknownHost(String),
    #[error("-e {arg}: {message}")]
    ExtraVars { arg: String, message: String },
}

impl Error {
    pub(crate) fn at(file: &str, line: usize, message: impl Into<String>) -> Error {
        Error::At {
            at: Origin {
                file: file.to_string(),
                line,
            },
            message: message.into(),
        }
    }
    pub(crate) fn source(source: &str, message: impl Into<String>) -> Error {
        Error::Source {
            src: source.to_string(),
            message: message.into(),
        }
    }
}
