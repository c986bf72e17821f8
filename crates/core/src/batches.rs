//! `serial`: batch sizes as Ansible computes them. An int, a percentage of all the hosts
//! (`"30%"`, truncated, never less than 1), or a list of those used in turn, the last one
//! repeating; the last batch takes what is left; 0 or no serial means one batch of all.

#[derive(Debug, Clone, Copy, PartialEq)]
/// One `serial` entry.
pub enum Size {
    Count(usize),
    Percent(f64),
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
}
