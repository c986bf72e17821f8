//! `serial`: batch sizes as Ansible computes them. An int, a percentage of all the hosts
//! (`"30%"`, truncated, never less than 1), or a list of those used in turn, the last one
//! repeating; the last batch takes what is left; 0 or no serial means one batch of all.

use crate::api::errors::type_of;
use rhai::{Array, Dynamic};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Size {
    Count(usize),
    Percent(f64),
}

fn one(v: &Dynamic) -> Result<Size, String> {
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

pub fn parse_serial(v: &Dynamic) -> Result<Vec<Size>, String> {
    if let Some(a) = v.read_lock::<Array>() {
        if a.is_empty() {
            return Err("serial list is empty".into());
        }
        return a.iter().map(one).collect();
    }
    Ok(vec![one(v)?])
}

/// The batch sizes for `total` hosts.
pub fn split(total: usize, serial: &[Size]) -> Vec<usize> {
    if serial.is_empty() {
        return vec![total];
    }
    let size_of = |s: Size| match s {
        Size::Count(n) => n,
        Size::Percent(p) => ((p / 100.0) * total as f64) as usize,
    };
    let mut out = Vec::new();
    let mut left = total;
    let mut i = 0;
    while left > 0 {
        let n = match serial[i] {
            Size::Percent(_) => size_of(serial[i]).max(1),
            Size::Count(0) => left,
            s => size_of(s),
        };
        let n = n.min(left);
        out.push(n);
        left -= n;
        i = (i + 1).min(serial.len() - 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_like_ansible() {
        assert_eq!(split(5, &[]), [5]);
        assert_eq!(split(5, &[Size::Count(2)]), [2, 2, 1]);
        assert_eq!(split(5, &[Size::Count(1), Size::Percent(50.0)]), [1, 2, 2]);
        assert_eq!(split(6, &[Size::Count(1), Size::Percent(50.0)]), [1, 3, 2]);
        assert_eq!(split(10, &[Size::Percent(30.0)]), [3, 3, 3, 1]);
        assert_eq!(split(3, &[Size::Percent(10.0)]), [1, 1, 1]);
        assert_eq!(split(4, &[Size::Count(0)]), [4]);
        assert_eq!(
            split(7, &[Size::Count(1), Size::Count(2), Size::Count(10)]),
            [1, 2, 4]
        );
    }

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
