//! Printing and comparing arrays and maps, within a nesting bound.
//!
//! Rhai's own `print`/`to_string`/`debug`/`==` for arrays and maps recurse once per level, so
//! `let a = []; for i in 0..10000 { a = [a]; } print(a)` overflowed the stack and aborted rb.
//! These overrides give the same text and answers for values up to
//! [`MAX_DEPTH`](crate::value::MAX_DEPTH) levels and an error past it.

use crate::raise::at;
use crate::value::{too_deep, MAX_DEPTH};
use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

type Res<T> = Result<T, Box<rhai::EvalAltResult>>;

/// `[1, "a"]`, `#{"k": 1}`: Rhai's own layout; other values print through `to_debug`.
fn format(nctx: &NativeCallContext, v: &mut Dynamic, depth: usize, out: &mut String) -> Res<()> {
    if v.is_array() {
        let mut a = v.write_lock::<Array>().expect("checked: an array");
        format_array(nctx, &mut a, depth, out)
    } else if v.is_map() {
        let mut m = v.write_lock::<Map>().expect("checked: a map");
        format_map(nctx, &mut m, depth, out)
    } else {
        match nctx.call_native_fn_raw("to_debug", true, &mut [v]) {
            Ok(s) if s.is_string() => out.push_str(&s.into_string().unwrap_or_default()),
            _ => out.push_str(&std::format!("{v:?}")),
        }
        Ok(())
    }
}

fn format_array(
    nctx: &NativeCallContext,
    a: &mut Array,
    depth: usize,
    out: &mut String,
) -> Res<()> {
    if depth > MAX_DEPTH {
        return Err(at(nctx, too_deep("print")));
    }
    out.push('[');
    for (i, x) in a.iter_mut().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        format(nctx, x, depth + 1, out)?;
    }
    out.push(']');
    Ok(())
}

fn format_map(nctx: &NativeCallContext, m: &mut Map, depth: usize, out: &mut String) -> Res<()> {
    if depth > MAX_DEPTH {
        return Err(at(nctx, too_deep("print")));
    }
    out.push_str("#{");
    for (i, (k, x)) in m.iter_mut().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&std::format!("{:?}: ", k.as_str()));
        format(nctx, x, depth + 1, out)?;
    }
    out.push('}');
    Ok(())
}

/// `==` as Rhai's: same length, elements (or same keys' values) equal by `==`.
fn equal(nctx: &NativeCallContext, a: &mut Dynamic, b: &mut Dynamic, depth: usize) -> Res<bool> {
    if a.is_array() && b.is_array() {
        let mut a = a.write_lock::<Array>().expect("checked: an array");
        let mut b = b.write_lock::<Array>().expect("checked: an array");
        return equal_arrays(nctx, &mut a, &mut b, depth);
    }
    if a.is_map() && b.is_map() {
        let mut a = a.write_lock::<Map>().expect("checked: a map");
        let mut b = b.write_lock::<Map>().expect("checked: a map");
        return equal_maps(nctx, &mut a, &mut b, depth);
    }
    let same_type = a.type_id() == b.type_id();
    match nctx.call_native_fn_raw("==", true, &mut [a, b]) {
        Ok(r) => Ok(r.as_bool().unwrap_or(false)),
        // No `==` for two values of different types: not equal, as Rhai decides.
        Err(e) if !same_type && matches!(*e, rhai::EvalAltResult::ErrorFunctionNotFound(..)) => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn equal_arrays(nctx: &NativeCallContext, a: &mut Array, b: &mut Array, depth: usize) -> Res<bool> {
    if depth > MAX_DEPTH {
        return Err(at(nctx, too_deep("compare")));
    }
    if a.len() != b.len() {
        return Ok(false);
    }
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        if !equal(nctx, x, y, depth + 1)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn equal_maps(nctx: &NativeCallContext, a: &mut Map, b: &mut Map, depth: usize) -> Res<bool> {
    if depth > MAX_DEPTH {
        return Err(at(nctx, too_deep("compare")));
    }
    if a.len() != b.len() {
        return Ok(false);
    }
    for (k, x) in a.iter_mut() {
        let Some(y) = b.get_mut(k) else {
            return Ok(false);
        };
        if !equal(nctx, x, y, depth + 1)? {
            return Ok(false);
        }
    }
    Ok(true)
}

pub fn register(engine: &mut Engine) {
    // Registered on the engine, these are found before Rhai's package functions of the
    // same types.
    for name in ["print", "to_string", "debug", "to_debug"] {
        engine.register_fn(name, |nctx: NativeCallContext, a: &mut Array| {
            let mut out = String::new();
            format_array(&nctx, a, 1, &mut out).map(|_| out)
        });
        engine.register_fn(name, |nctx: NativeCallContext, m: &mut Map| {
            let mut out = String::new();
            format_map(&nctx, m, 1, &mut out).map(|_| out)
        });
    }
    engine.register_fn(
        "==",
        |nctx: NativeCallContext, a: &mut Array, mut b: Array| equal_arrays(&nctx, a, &mut b, 1),
    );
    engine.register_fn(
        "!=",
        |nctx: NativeCallContext, a: &mut Array, mut b: Array| {
            equal_arrays(&nctx, a, &mut b, 1).map(|e| !e)
        },
    );
    engine.register_fn("==", |nctx: NativeCallContext, a: &mut Map, mut b: Map| {
        equal_maps(&nctx, a, &mut b, 1)
    });
    engine.register_fn("!=", |nctx: NativeCallContext, a: &mut Map, mut b: Map| {
        equal_maps(&nctx, a, &mut b, 1).map(|e| !e)
    });
}

#[cfg(test)]
mod tests {
    use rhai::Engine;

    /// Rhai's own engine and one with these overrides give the same text and answers.
    #[test]
    fn same_text_and_answers_as_rhai() {
        let plain = Engine::new();
        let mut ours = Engine::new();
        super::register(&mut ours);
        for expr in [
            r#"to_string([1, "x", [2, #{b: 3, "a b": [()]}], 1.5, true, 'c', -0.0, 1e300])"#,
            r#"to_debug(["q\"uote", "tab\t", #{"é": "ü"}])"#,
            r#"`${[1, [2]]}`"#,
            r#"`${#{z: 1, a: [#{}]}}`"#,
            r#"to_string([1, [2]] == [1, [2]])"#,
            r#"to_string([1, [2]] != [1, [3]])"#,
            r#"to_string([1] == ["1"])"#,
            r#"to_string([1, 2] == [1])"#,
            r#"to_string(#{a: [1]} == #{a: [1]})"#,
            r#"to_string(#{a: 1} == #{b: 1})"#,
            r#"to_string(#{a: 1} != #{a: 2})"#,
            r#"to_string([[1]] in [[[1]], 2])"#,
            r#"to_string([1, 2.0] == [1, 2.0])"#,
        ] {
            let want = plain.eval::<String>(expr).unwrap();
            let got = ours.eval::<String>(expr).unwrap();
            assert_eq!(got, want, "{expr}");
        }
    }

    #[test]
    fn too_deep_is_an_error_not_a_crash() {
        let mut ours = Engine::new();
        super::register(&mut ours);
        let build = "let a = []; for i in 0..300 { a = [a]; } let m = #{}; for i in 0..300 { m = #{k: m}; }";
        for (op, what) in [
            ("to_string(a)", "print"),
            ("to_string(m)", "print"),
            ("a == a", "compare"),
            ("m != m", "compare"),
        ] {
            let e = ours.run(&format!("{build} {op}")).unwrap_err().to_string();
            assert!(
                e.contains(&format!("cannot {what} a value nested more than 128")),
                "{op}: {e}"
            );
        }
        // 128 levels still print.
        let s: String = ours
            .eval("let a = 1; for i in 0..127 { a = [a]; } to_string(a)")
            .unwrap();
        assert_eq!(s, format!("{}1{}", "[".repeat(127), "]".repeat(127)));
    }
}
