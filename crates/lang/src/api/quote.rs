//! `quote(s)`: POSIX shell quoting, for the rare command that must be built as a string.

use rhai::Engine;

pub use rb_core::transport::quote::shell_quote;

pub fn register(engine: &mut Engine) {
    engine.register_fn("quote", |s: &str| shell_quote(s));
}
