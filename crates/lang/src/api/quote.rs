//! Quoting data for the formats commands and files read it in: `quote(s)` for a POSIX
//! shell word, `env_line(key, value)` for a line of a sourced env file.

use crate::raise::{at, RhaiResult};
use rhai::{Dynamic, Engine, NativeCallContext};

pub use rb_core::transport::quote::{env_assignment, shell_quote};

pub fn register(engine: &mut Engine) {
    engine.register_fn("quote", |s: &str| shell_quote(s));
    engine.register_fn(
        "env_line",
        |nctx: NativeCallContext, key: &str, value: Dynamic| -> RhaiResult<String> {
            let text = super::shell::text_of(&value, &format!("env_line: the value of {key}"))
                .map_err(|e| at(&nctx, e))?;
            env_assignment(key, &text).map_err(|e| at(&nctx, format!("env_line: {e}")))
        },
    );
}
