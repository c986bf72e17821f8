//! rb: runbooks for people who operate clusters, on the Rhai scripting language.
//!
//! The embedding API in three steps (see docs/embedding.md and examples/embed.rs):
//!
//! ```no_run
//! let rt = rb::Runtime::builder()
//!     .var("greeting", "hello")
//!     .on_event(|e| eprintln!("{e:?}"))
//!     .build()
//!     .unwrap();
//! let out = rt.run_script("inline", r#"vars.greeting + " from " + sh("hostname").out"#).unwrap();
//! println!("{out}");
//! ```
//!
//! This file is the front door: it declares the modules and re-exports the public API.
//! Nothing inside the crate imports from it (docs/architecture.md draws the floors).

// `Diagnostic`, the error people read, is returned once per run or call; boxing it would
// only add noise at every `?`.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

mod api;
mod context;
mod diagnostics;
pub mod docs;
mod engine;
mod facts;
mod failure;
mod handlers;
mod host;
mod jinja;
mod limits;
mod options;
mod raise;
mod runtime;
mod stdlib;
pub mod tasks;
mod value;

/// Ansible inventories (the `rb-inventory` crate).
pub use inventory;
/// kubectl's JSONPath templates (the `kubepath` crate).
pub use kubepath;
/// The event stream (the `rb-core` crate).
pub use rb_core::report;
/// Transports: local and ssh (the `rb-core` crate).
pub use rb_core::transport;
pub use rhai;

pub use api::hosts::{select as select_hosts, HostList};
pub use api::json::to_value as to_json_value;
pub use api::shell::CmdResult;
pub use context::Ctx;
pub use diagnostics::Diagnostic;
pub use host::Host;
/// ` (did you mean `x`?)` for the candidate closest to a misspelt name, or "".
pub use options::did_you_mean;
pub use rb_core::report::{Event, EventSink, Level};
pub use runtime::{
    adhoc, Registration, Runtime, RuntimeBuilder, DEFAULT_MAX_OPERATIONS, DEFAULT_MAX_OUTPUT,
    DEFAULT_MAX_OUTPUT_TOTAL,
};
pub use value::parse_cli_value;
