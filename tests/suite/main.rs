//! The integration suite, one binary: the real `rb` binary on local hosts (cli, fanout,
//! inventory), against the real kubectl (kubectl_jsonpath), through a real terminal (repl),
//! and on the lab's hosts (lab, runbooks, stdlib; skipped when the lab is down). What each
//! proves: docs/testing.md. The Runtime's own tests are the language crate's
//! (crates/lang/tests).

#[macro_use]
mod common;

mod cli;
mod examples;
mod facts;
mod fanout;
mod inventory;
mod kubectl_jsonpath;
mod lab;
mod modules;
mod repl;
mod runbooks;
mod stdlib;
