//! Ansible host ranges: `worker0[1:3].example` → worker01..worker03, `node[a:c]`,
//! `web[01:10:2]` (stride). Inclusive, zero padding kept. Several ranges multiply.

/// Expand every `[start:end(:stride)]` in `pattern`; a name without ranges is itself.
pub fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or_else(|| format!("unclosed `[` in host range `{pattern}`"))?;
    let (head, spec, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!(
            "invalid host range `[{spec}]` in `{pattern}`: expected [start:end] or [start:end:stride]"
        ));
    }
    let (start, end) = (parts[0], parts[1]);
    let stride: usize = match parts.get(2) {
        None => 1,
        Some(s) => s
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("invalid stride `{s}` in host range `{pattern}`"))?,
    };
    let items: Vec<String> = if let (Ok(a), Ok(b)) = (start.parse::<u64>(), end.parse::<u64>()) {
        if a > b {
            return Err(format!(
                "host range `[{spec}]` in `{pattern}` runs backwards"
            ));
        }
        if b - a > 100_000 {
            return Err(format!("host range `[{spec}]` in `{pattern}` is too large"));
        }
        // Zero padding: a start written with a leading zero sets the width.
        let width = if start.len() > 1 && start.starts_with('0') {
            start.len()
        } else {
            0
        };
        (a..=b)
            .step_by(stride)
            .map(|n| format!("{n:0width$}"))
            .collect()
    } else if start.len() == 1
        && end.len() == 1
        && start.chars().all(|c| c.is_ascii_alphabetic())
        && end.chars().all(|c| c.is_ascii_alphabetic())
    {
        let (a, b) = (start.as_bytes()[0], end.as_bytes()[0]);
        if a > b {
            return Err(format!(
                "host range `[{spec}]` in `{pattern}` runs backwards"
            ));
        }
        (a..=b)
            .step_by(stride)
            .map(|c| (c as char).to_string())
            .collect()
    } else {
        return Err(format!(
            "invalid host range `[{spec}]` in `{pattern}`: use numbers ([01:10]) or single letters ([a:f])"
        ));
    };
    let tails = expand(tail)?;
    let mut out = Vec::with_capacity(items.len() * tails.len());
    for i in &items {
        for t in &tails {
            out.push(format!("{head}{i}{t}"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(
            expand("worker0[1:3].i.domain.tld").unwrap(),
            [
                "worker01.i.domain.tld",
                "worker02.i.domain.tld",
                "worker03.i.domain.tld"
            ]
        );
        assert_eq!(expand("node[a:c]").unwrap(), ["nodea", "nodeb", "nodec"]);
        assert_eq!(expand("web[08:10]").unwrap(), ["web08", "web09", "web10"]);
        assert_eq!(expand("h[1:7:3]").unwrap(), ["h1", "h4", "h7"]);
        assert_eq!(
            expand("r[1:2]n[a:b]").unwrap(),
            ["r1na", "r1nb", "r2na", "r2nb"]
        );
        assert!(expand("h[3:1]").unwrap_err().contains("backwards"));
        assert!(expand("h[1:").unwrap_err().contains("unclosed"));
        assert!(expand("h[x:9]").is_err());
    }
}
