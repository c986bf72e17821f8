//! Building runbook errors: every error raised by rb's functions carries the position of
//! the call in the runbook, so the user sees `file:line:col`.

use rhai::{Dynamic, EvalAltResult, NativeCallContext, Position};

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// A runtime error at the position of the current native call.
pub fn at(nctx: &NativeCallContext, msg: impl Into<String>) -> Box<EvalAltResult> {
    at_pos(nctx.call_position(), msg)
}

pub fn at_pos(pos: Position, msg: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(msg.into()), pos))
}

/// A readable name for a Rhai value's type, for "expected X, got Y" messages.
pub fn type_of(v: &Dynamic) -> &'static str {
    if v.is_string() {
        "string"
    } else if v.is_int() {
        "int"
    } else if v.is_float() {
        "float"
    } else if v.is_bool() {
        "bool"
    } else if v.is_array() {
        "array"
    } else if v.is_map() {
        "map"
    } else if v.is_unit() {
        "()"
    } else if v.is_fnptr() {
        "function"
    } else {
        "value"
    }
}
