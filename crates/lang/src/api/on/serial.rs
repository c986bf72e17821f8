//! `serial` as runbooks write it (an int, `"30%"`, or a list of those), parsed into the
//! core's batch sizes.

use crate::raise::{type_of, OrMessage};
use rb_core::batches::Size;
use rhai::{Array, Dynamic};

fn one(v: &Dynamic) -> OrMessage<Size> {
    if let Ok(i) = v.as_int() {
        return usize::try_from(i)
            .map(Size::Count)
            .map_err(|_| format!("serial must not be negative, got {i}"));
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p
                .trim()
                .parse()
                .map_err(|_| format!("serial percentage `{t}` is not a number"))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!(
                    "serial percentage `{t}` must be between 0% and 100%"
                ));
            }
            return Ok(Size::Percent(p));
        }
        return t
            .parse()
            .map(Size::Count)
            .map_err(|_| format!("serial `{t}` must be an int or a percentage like \"30%\""));
    }
    Err(format!(
        "serial must be an int, a percentage or a list of them, got {}",
        type_of(v)
    ))
}

pub fn parse_serial(v: &Dynamic) -> OrMessage<Vec<Size>> {
    if let Some(a) = v.read_lock::<Array>() {
        if a.is_empty() {
            return Err("serial list is empty".into());
        }
        return a.iter().map(one).collect();
    }
    Ok(vec![one(v)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_values_parse() {
        let v: Dynamic = Dynamic::from_array(vec![1_i64.into(), "50%".into()]);
        assert_eq!(
            parse_serial(&v).unwrap(),
            [Size::Count(1), Size::Percent(50.0)]
        );
        assert!(parse_serial(&"half".into()).is_err());
        assert!(parse_serial(&(-1_i64).into()).is_err());
    }
}
