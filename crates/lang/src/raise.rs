//! Raising runbook errors: every error raised by rb's functions carries the position of
//! the call in the runbook (so the user sees `file:line:col`), and a command's failure
//! carries whose fault it is. `Diagnostic` (diagnostics.rs) is what people read at the end.

use rhai::{Dynamic, EvalAltResult, NativeCallContext, Position};

/// Rhai's display of an error without its " (line x, position y)" suffix.
pub fn without_position(text: &str) -> String {
    match text.rfind(" (line ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text.to_string(),
    }
}

pub type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// What a helper of a runbook function gives: its value, or the message that function
/// raises at its call position (`.map_err(|e| at(nctx, e))`). The only errors of this
/// crate that are bare text; everything else has a type (`Diagnostic`, `CommandFailure`,
/// `Refusal`).
pub type OrMessage<T> = Result<T, String>;

/// A runtime error at the position of the current native call.
pub fn at(nctx: &NativeCallContext, msg: impl Into<String>) -> Box<EvalAltResult> {
    at_pos(nctx.call_position(), msg)
}

pub fn at_pos(pos: Position, msg: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(msg.into()), pos))
}

/// Whose failure an error is: the host a command failed on (an index into the run's hosts;
/// `None` for the controller) and whether it could not be reached. Carried in the tag of
/// the error's value, so a runbook's `catch (e)` still sees a plain string while fan-out and
/// the recap read the fault as data, never from the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub host: Option<usize>,
    pub unreachable: bool,
}

impl Fault {
    /// Rhai's tag is an i32 (i16 in some builds): hosts beyond that are blamed on nobody.
    fn tag(self) -> i32 {
        let h = self.host.map_or(0, |i| i + 1);
        // Tag 0 is "no fault" (every other value's default).
        i16::try_from(1 + 2 * h + usize::from(self.unreachable)).map_or(0, i32::from)
    }

    fn from_tag(tag: i32) -> Option<Fault> {
        let t = usize::try_from(tag).ok()?.checked_sub(1)?;
        Some(Fault {
            host: (t >> 1).checked_sub(1),
            unreachable: t & 1 == 1,
        })
    }
}

/// A runtime error at the current call that is `fault`'s failure.
pub fn at_fault(
    nctx: &NativeCallContext,
    msg: impl Into<String>,
    fault: Fault,
) -> Box<EvalAltResult> {
    let mut v = Dynamic::from(msg.into());
    v.set_tag(fault.tag() as _);
    Box::new(EvalAltResult::ErrorRuntime(v, nctx.call_position()))
}

/// The tag of a usage error raised by a runbook's own checks (`need_hosts`): the run exits 2,
/// as for every mistake found before anything changed.
const USAGE_TAG: i32 = -2;

/// A usage error at the current call: exit code 2.
pub fn at_usage(nctx: &NativeCallContext, msg: impl Into<String>) -> Box<EvalAltResult> {
    let mut v = Dynamic::from(msg.into());
    v.set_tag(USAGE_TAG as _);
    Box::new(EvalAltResult::ErrorRuntime(v, nctx.call_position()))
}

/// Whether an error is a usage error (see [`at_usage`]).
pub fn is_usage(e: &EvalAltResult) -> bool {
    raised_tag(e) == Some(USAGE_TAG)
}

/// The fault behind an error, looking through calls and modules to the value raised.
pub fn fault_of(e: &EvalAltResult) -> Option<Fault> {
    raised_tag(e).and_then(Fault::from_tag)
}

/// The tag of the value an error raised, looking through calls and modules.
fn raised_tag(e: &EvalAltResult) -> Option<i32> {
    let mut e = e;
    loop {
        match e {
            EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
            | EvalAltResult::ErrorInModule(_, inner, _) => e = inner,
            // The tag is an i16 in some Rhai builds.
            #[allow(clippy::useless_conversion)]
            EvalAltResult::ErrorRuntime(d, _) => return Some(i32::from(d.tag())),
            _ => return None,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::Fault;

    #[test]
    fn faults_round_trip_through_the_tag() {
        for f in [
            Fault {
                host: None,
                unreachable: false,
            },
            Fault {
                host: None,
                unreachable: true,
            },
            Fault {
                host: Some(0),
                unreachable: false,
            },
            Fault {
                host: Some(41),
                unreachable: true,
            },
        ] {
            assert_eq!(Fault::from_tag(f.tag()), Some(f));
        }
        assert_eq!(Fault::from_tag(0), None);
    }
}
