//! Ansible host ranges: `worker0[1:3].example` → worker01..worker03, `node[a:c]`,
//! `web[01:10:2]` (stride). Inclusive, zero padding kept. Several ranges multiply; the
//! product is counted before anything is allocated, so `h[1:100000][1:100000]` is an error,
//! not an allocation failure.

/// The most hosts one inventory may hold, counting every range's expansion.
pub const MAX_HOSTS: usize = 100_000;

/// One `[start:end(:stride)]`: the texts it stands for.
fn items(spec: &str, pattern: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!(
            "invalid host range `[{spec}]` in `{pattern}`: expected [start:end] or [start:end:stride]"
        ));
    }
    // Ansible: an empty start is 0; an empty end is an error.
    let start = if parts[0].is_empty() { "0" } else { parts[0] };
    let end = parts[1];
    if end.is_empty() {
        return Err(format!(
            "host range `[{spec}]` in `{pattern}` has no end value"
        ));
    }
    let stride: usize = match parts.get(2) {
        None | Some(&"") => 1,
        Some(s) => s
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("invalid stride `{s}` in host range `{pattern}`"))?,
    };
    if let (Ok(a), Ok(b)) = (start.parse::<u64>(), end.parse::<u64>()) {
        if a > b {
            return Err(format!(
                "host range `[{spec}]` in `{pattern}` runs backwards"
            ));
        }
        let width = if start.len() > 1 && start.starts_with('0') {
            if start.len() != end.len() {
                return Err(format!(
                    "host range `[{spec}]` in `{pattern}`: a zero-padded start and its end must have the same width"
                ));
            }
            if start.len() > 20 {
                return Err(format!(
                    "host range `[{spec}]` in `{pattern}` is wider than 20 digits"
                ));
            }
            start.len()
        } else {
            0
        };
        let count = (b - a) / stride as u64 + 1;
        if count > MAX_HOSTS as u64 {
            return Err(too_many(pattern));
        }
        return Ok((a..=b)
            .step_by(stride)
            .map(|n| format!("{n:0width$}"))
            .collect());
    }
    let letter = |s: &str| s.len() == 1 && s.as_bytes()[0].is_ascii_alphabetic();
    if letter(start) && letter(end) {
        // Python's string.ascii_letters order: a-z then A-Z.
        let pos = |c: u8| {
            if c.is_ascii_lowercase() {
                c - b'a'
            } else {
                c - b'A' + 26
            }
        };
        let letters: Vec<u8> = (b'a'..=b'z').chain(b'A'..=b'Z').collect();
        let (a, b) = (pos(start.as_bytes()[0]), pos(end.as_bytes()[0]));
        if a > b {
            return Err(format!(
                "host range `[{spec}]` in `{pattern}` runs backwards"
            ));
        }
        return Ok((a..=b)
            .step_by(stride)
            .map(|i| (letters[i as usize] as char).to_string())
            .collect());
    }
    Err(format!(
        "invalid host range `[{spec}]` in `{pattern}`: use numbers ([01:10]) or single letters ([a:f])"
    ))
}

fn too_many(pattern: &str) -> String {
    format!(
        "host range `{pattern}` expands to more than {MAX_HOSTS} hosts; split the inventory or narrow the range"
    )
}

/// Split `pattern` at its ranges: literal text and range specs, alternating.
fn pieces(pattern: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let mut lits = Vec::new();
    let mut specs = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('[') {
        let close = rest[open..]
            .find(']')
            .map(|i| open + i)
            .ok_or_else(|| format!("unclosed `[` in host range `{pattern}`"))?;
        lits.push(rest[..open].to_string());
        specs.push(rest[open + 1..close].to_string());
        rest = &rest[close + 1..];
    }
    lits.push(rest.to_string());
    Ok((lits, specs))
}

/// Does `pattern` hold a range (Ansible's `detect_range`)?
pub fn has_range(pattern: &str) -> bool {
    match (pattern.find('['), pattern.find(':'), pattern.find(']')) {
        (Some(a), Some(b), Some(c)) => a < b && b < c,
        _ => false,
    }
}

/// Expand every `[start:end(:stride)]` in `pattern`; a name without ranges is itself.
/// `budget` is how many more hosts the inventory may take.
pub fn expand(pattern: &str, budget: usize) -> Result<Vec<String>, String> {
    if !has_range(pattern) {
        return Ok(vec![pattern.to_string()]);
    }
    let (lits, specs) = pieces(pattern)?;
    let sets: Vec<Vec<String>> = specs
        .iter()
        .map(|s| items(s, pattern))
        .collect::<Result<_, _>>()?;
    let mut total: usize = 1;
    for s in &sets {
        total = total.saturating_mul(s.len());
    }
    if total > budget.min(MAX_HOSTS) {
        return Err(too_many(pattern));
    }
    let mut out = vec![lits[0].clone()];
    for (set, lit) in sets.iter().zip(&lits[1..]) {
        out = out
            .iter()
            .flat_map(|head| set.iter().map(move |i| format!("{head}{i}{lit}")))
            .collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{expand, MAX_HOSTS};

    fn ex(p: &str) -> Result<Vec<String>, String> {
        expand(p, MAX_HOSTS)
    }

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(
            ex("worker0[1:3].i.domain.tld").unwrap(),
            [
                "worker01.i.domain.tld",
                "worker02.i.domain.tld",
                "worker03.i.domain.tld"
            ]
        );
        assert_eq!(ex("node[a:c]").unwrap(), ["nodea", "nodeb", "nodec"]);
        assert_eq!(ex("web[08:10]").unwrap(), ["web08", "web09", "web10"]);
        assert_eq!(ex("h[1:7:3]").unwrap(), ["h1", "h4", "h7"]);
        // Zero padding only when the start has a leading zero; letters in Python's
        // ascii_letters order (a-z, then A-Z), with strides.
        assert_eq!(ex("h[0:2]").unwrap(), ["h0", "h1", "h2"]);
        assert_eq!(ex("h[00:02]").unwrap(), ["h00", "h01", "h02"]);
        assert_eq!(ex("h[8:10:2]").unwrap(), ["h8", "h10"]);
        assert_eq!(ex("h[:2]").unwrap(), ["h0", "h1", "h2"]);
        assert_eq!(ex("h[y:B]").unwrap(), ["hy", "hz", "hA", "hB"]);
        assert_eq!(ex("h[a:e:2]").unwrap(), ["ha", "hc", "he"]);
        assert_eq!(ex("h[A:C]").unwrap(), ["hA", "hB", "hC"]);
        assert!(ex("h[B:a]").is_err());
        assert!(ex("h[001:10]").is_err());
        let wide = |n: usize| format!("h[{}1:{}2]", "0".repeat(n - 1), "0".repeat(n - 1));
        assert_eq!(ex(&wide(20)).unwrap().len(), 2);
        assert!(ex(&wide(21)).is_err());
        // The host count is checked exactly: 100,000 is the most.
        assert_eq!(ex("h[1:100000]").unwrap().len(), 100_000);
        assert!(ex("h[0:100000]").is_err());
        assert_eq!(ex("h[0:199998:2]").unwrap().len(), 99_999 + 1);
        assert!(ex("h[0:200000:2]").is_err());
        // Counted before a single name is made: a huge range is refused at once.
        for huge in [
            "h[0:99999999999]",
            "h[1:99999999999:3]",
            "h[a:z][0:99999999999]",
        ] {
            assert!(
                ex(huge).unwrap_err().contains("more than 100000 hosts"),
                "{huge}"
            );
        }
        // Not a range: a `]` before the `[`, or no `:` inside.
        assert_eq!(ex("a]b[1:2").unwrap(), ["a]b[1:2"]);
        assert_eq!(ex("a[b]c").unwrap(), ["a[b]c"]);
        // One-host ranges, and the forms Ansible refuses.
        assert_eq!(ex("h[2:2]").unwrap(), ["h2"]);
        assert_eq!(ex("h[c:c]").unwrap(), ["hc"]);
        for bad in ["h[1:2:3:4]", "h[3:1]", "h[c:a]", "h[1:3:0]", "h[1:]"] {
            assert!(ex(bad).is_err(), "{bad}");
        }
        assert_eq!(ex("h[:2]").unwrap(), ["h0", "h1", "h2"]);
        assert_eq!(
            ex("r[1:2]n[a:b]").unwrap(),
            ["r1na", "r1nb", "r2na", "r2nb"]
        );
        assert!(ex("h[3:1]").unwrap_err().contains("backwards"));
        assert!(ex("h[1:").is_ok(), "no `]`: not a range, a plain name");
        assert!(ex("h[x:9]").is_err());
        assert!(ex("h[1:]").unwrap_err().contains("no end"));
    }

    #[test]
    fn huge_products_are_refused_before_allocating() {
        let e = ex("h[1:100000][1:100000]").unwrap_err();
        assert!(e.contains("more than 100000 hosts"), "{e}");
        let zeros = format!("h[{}1:2]", "0".repeat(65_535));
        assert!(ex(&zeros).is_err());
        assert!(ex("h[1:1000][1:1000]").is_err());
        assert_eq!(ex("h[1:300][1:300]").unwrap().len(), 90_000);
    }
}
