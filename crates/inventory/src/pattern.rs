//! Host patterns as ansible-core evaluates them: `a,b` or `a:b` (union), `&b`
//! (intersection), `!b` (exclusion), globs with `*`, `?` and `[classes]` over group and
//! host names, `~regex` matched at the start (Python's `re.match`) against group and host
//! names, subscripts `[i]`, `[i:j]`, `[i:]`, `[i-j]`, and an implicit `localhost`.
//! Every term costs one pass over the hosts and groups.

use crate::{Error, Inventory};
use regex::Regex;

/// What a pattern selected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Indices into `Inventory::hosts`, in inventory order.
    pub hosts: Vec<usize>,
    /// Terms that matched nothing, so callers can warn about them.
    pub unmatched: Vec<String>,
}

/// `--limit`: the hosts a run may touch, as a pattern selected them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub(crate) allowed: Vec<bool>,
    /// Terms of the limit pattern that matched nothing.
    pub unmatched: Vec<String>,
}

impl Limit {
    /// Whether the host at `index` (into `Inventory::hosts`) is inside the limit.
    pub fn allows(&self, index: usize) -> bool {
        self.allowed.get(index).copied().unwrap_or(false)
    }

    /// How many hosts the limit lets through.
    pub fn len(&self) -> usize {
        self.allowed.iter().filter(|a| **a).count()
    }

    /// Whether it lets no host through.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `--limit` as ansible-core's `Inventory.subset` reads it: a term `@FILE` stands for the
/// file's lines, one pattern each (a `.retry` file of host names); the result is one
/// comma-joined pattern. A missing file, or a folder, is an error.
pub fn expand_limit_files(pattern: &str) -> Result<String, String> {
    let terms = split(pattern);
    if !terms.iter().any(|t| t.starts_with('@')) {
        return Ok(pattern.to_string());
    }
    let mut out = Vec::new();
    for t in terms {
        let Some(file) = t.strip_prefix('@') else {
            out.push(t);
            continue;
        };
        let path = std::path::Path::new(file);
        if path.is_dir() {
            return Err(format!(
                "a limit starting with `@` must be a file, not a folder: {file}"
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the limit file {file}: {e}"))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    Ok(out.join(","))
}

/// ansible-core's `split_host_pattern`: a pattern with a comma splits at commas only;
/// otherwise at colons outside `[...]`, unless the whole is one address (`host:22`, IPv6).
pub fn split(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if is_address(pattern) {
        vec![pattern.to_string()]
    } else {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '[' => {
                    // A complete bracketed expression stays whole; a lone `[` splits.
                    let rest: String = chars.clone().collect();
                    if let Some(end) = rest.find(']') {
                        cur.push('[');
                        cur.push_str(&rest[..=end]);
                        for _ in 0..rest[..=end].chars().count() {
                            chars.next();
                        }
                    } else if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
                ':' | ']' => {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
                c if c.is_whitespace() => {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
                c => cur.push(c),
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Close enough to ansible-core's `parse_address`: `name:port` or an IPv6 address.
fn is_address(p: &str) -> bool {
    let (h, port) = crate::ini::split_port(p);
    if port.is_some() {
        return h.chars().all(|c| c.is_alphanumeric() || "._-".contains(c));
    }
    p.matches(':').count() >= 2
        && p.chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
}

/// Does `text` match the glob `glob` as Python's `fnmatch.fnmatchcase` decides?
pub fn glob_matches(glob: &str, text: &str) -> bool {
    glob_regex(glob).is_ok_and(|re| re.is_match(text))
}

/// Python's `fnmatch.translate` (3.12), anchored at both ends: `*`, `?`, `[seq]`, `[!seq]`,
/// ranges whose ends are out of order dropped, `-` and `\\` literal where they make no range.
fn glob_regex(glob: &str) -> Result<Regex, regex::Error> {
    let pat: Vec<char> = glob.chars().collect();
    let n = pat.len();
    let mut re = String::from("^(?s:");
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                if !re.ends_with(".*") {
                    re.push_str(".*");
                }
            }
            '?' => re.push('.'),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    re.push_str("\\[");
                    continue;
                }
                let text = |a: usize, b: usize| pat[a..b].iter().collect::<String>();
                let mut stuff = if !pat[i..j].contains(&'-') {
                    text(i, j).replace('\\', "\\\\")
                } else {
                    // Split at the hyphens that make ranges, drop ranges out of order.
                    let mut chunks: Vec<String> = Vec::new();
                    let mut k = if pat[i] == '!' { i + 2 } else { i + 1 };
                    let mut from = i;
                    while let Some(off) = (k < j)
                        .then(|| pat[k..j].iter().position(|&c| c == '-'))
                        .flatten()
                    {
                        let at = k + off;
                        chunks.push(text(from, at));
                        from = at + 1;
                        k = at + 3;
                    }
                    let last = text(from, j);
                    if last.is_empty() {
                        chunks.last_mut().expect("a hyphen was found").push('-');
                    } else {
                        chunks.push(last);
                    }
                    for k in (1..chunks.len()).rev() {
                        let prev_last = chunks[k - 1].chars().last();
                        let next_first = chunks[k].chars().next();
                        if let (Some(a), Some(b)) = (prev_last, next_first) {
                            if a > b {
                                let mut merged: String = chunks[k - 1].clone();
                                merged.pop();
                                merged.push_str(&chunks[k].chars().skip(1).collect::<String>());
                                chunks[k - 1] = merged;
                                chunks.remove(k);
                            }
                        }
                    }
                    chunks
                        .iter()
                        .map(|s| s.replace('\\', "\\\\").replace('-', "\\-"))
                        .collect::<Vec<_>>()
                        .join("-")
                };
                // Set operations of Python's re (&&, ~~, ||) are literal; so is `[` for the
                // regex crate.
                for op in ['&', '~', '|', '['] {
                    stuff = stuff.replace(op, &format!("\\{op}"));
                }
                i = j + 1;
                if stuff.is_empty() {
                    re.push_str("[^\\s\\S]");
                } else if stuff == "!" {
                    re.push('.');
                } else if let Some(rest) = stuff.strip_prefix('!') {
                    re.push_str(&format!("[^{rest}]"));
                } else if stuff.starts_with('^') {
                    re.push_str(&format!("[\\{stuff}]"));
                } else {
                    re.push_str(&format!("[{stuff}]"));
                }
            }
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str(")$");
    Regex::new(&re)
}

/// `expr[i]`, `expr[i:j]`, `expr[i:]`, `expr[i-j]` (ansible-core's PATTERN_WITH_SUBSCRIPT).
fn split_subscript(p: &str) -> (&str, Option<(i64, Option<i64>)>) {
    // ansible-core's PATTERN_WITH_SUBSCRIPT: `(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$`.
    if p.starts_with('~') || !p.ends_with(']') {
        return (p, None);
    }
    let Some(open) = p.rfind('[') else {
        return (p, None);
    };
    if open == 0 {
        return (p, None);
    }
    let (expr, sub) = (&p[..open], &p[open + 1..p.len() - 1]);
    let digits = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    let single = sub.strip_prefix('-').unwrap_or(sub);
    if digits(single) {
        return (expr, Some((sub.parse().expect("digits"), None)));
    }
    if let Some(sep) = sub.find([':', '-']) {
        let (a, b) = (&sub[..sep], &sub[sep + 1..]);
        if digits(a) && (b.is_empty() || digits(b)) {
            // An empty end is -1 (the last host).
            let end = if b.is_empty() {
                -1
            } else {
                b.parse().expect("digits")
            };
            return (expr, Some((a.parse().expect("digits"), Some(end))));
        }
    }
    (p, None)
}

/// ansible-core's `_apply_subscript`: `[i]` is that host (negative from the end); `[i:j]`
/// the hosts i to j, j included (`[i:]` to the last); an end of 0 means host i alone. An
/// index past the end selects nothing.
fn apply_subscript(hosts: Vec<usize>, start: i64, end: Option<i64>) -> Vec<usize> {
    let n = hosts.len() as i64;
    let one = |i: i64| {
        let i = if i < 0 { n + i } else { i };
        if (0..n).contains(&i) {
            vec![hosts[i as usize]]
        } else {
            Vec::new()
        }
    };
    match end {
        None | Some(0) => one(start),
        Some(e) => {
            let stop = if e == -1 { n } else { (e + 1).min(n) };
            let from = start.min(n);
            if from >= stop {
                Vec::new()
            } else {
                hosts[from as usize..stop as usize].to_vec()
            }
        }
    }
}

/// A group's hosts in ansible-core's order: its own, then its children's, level by level.
fn ordered_group_hosts(inv: &Inventory, group: &str, out: &mut Vec<usize>, seen: &mut [bool]) {
    let mut level = vec![group.to_string()];
    let mut done = std::collections::HashSet::new();
    while !level.is_empty() {
        let mut next = Vec::new();
        for g in level {
            if !done.insert(g.clone()) {
                continue;
            }
            let grp = &inv.groups[&g];
            for &h in &grp.hosts {
                if !seen[h] && !inv.hosts[h].implicit {
                    seen[h] = true;
                    out.push(h);
                }
            }
            next.extend(grp.children.iter().cloned());
        }
        level = next;
    }
}

/// One term without its `&`/`!`: the hosts it matches, in ansible-core's order.
fn match_one(inv: &Inventory, pattern: &str, whole: &str) -> Result<Vec<usize>, Error> {
    let bad = |m: String| Error::Pattern {
        pattern: whole.to_string(),
        message: m,
    };
    let (expr, sub) = split_subscript(pattern);
    let re = if let Some(r) = expr.strip_prefix('~') {
        Regex::new(&format!("^(?:{r})"))
            .map_err(|e| bad(format!("`{expr}` is not a regex rb can use: {e}")))?
    } else {
        glob_regex(expr).map_err(|e| bad(format!("`{expr}`: {e}")))?
    };
    let mut out = Vec::new();
    let mut seen = vec![false; inv.hosts.len()];
    let mut matched_groups = false;
    for g in &inv.group_order {
        if re.is_match(g) {
            matched_groups = true;
            ordered_group_hosts(inv, g, &mut out, &mut seen);
        }
    }
    if !matched_groups || expr.starts_with('~') || expr.contains(['.', '?', '*', '[']) {
        for (i, h) in inv.hosts.iter().enumerate() {
            if !seen[i] && !h.implicit && re.is_match(&h.name) {
                seen[i] = true;
                out.push(i);
            }
        }
    }
    if out.is_empty() && expr == "localhost" {
        if let Some(&i) = inv.index.get("localhost") {
            out.push(i);
        }
    }
    if let Some((start, end)) = sub {
        out = apply_subscript(out, start, end);
    }
    Ok(out)
}

pub fn select(inv: &Inventory, pattern: &str) -> Result<Selection, Error> {
    let terms = split(pattern);
    let mut regular: Vec<&str> = Vec::new();
    let mut and: Vec<&str> = Vec::new();
    let mut not: Vec<&str> = Vec::new();
    for t in &terms {
        if let Some(r) = t.strip_prefix('&') {
            and.push(r);
        } else if let Some(r) = t.strip_prefix('!') {
            not.push(r);
        } else {
            regular.push(t);
        }
    }
    for t in and.iter().chain(&not) {
        if t.is_empty() {
            return Err(Error::Pattern {
                pattern: pattern.to_string(),
                message: "`&` or `!` with nothing after it".into(),
            });
        }
    }
    if regular.is_empty() {
        regular.push("all");
    }
    let mut unmatched = Vec::new();
    let mut sel = vec![false; inv.hosts.len()];
    for t in &regular {
        let hs = if *t == "all" {
            (0..inv.hosts.len())
                .filter(|&i| !inv.hosts[i].implicit)
                .collect()
        } else if let Some(&i) = inv.index.get(*t) {
            vec![i]
        } else {
            match_one(inv, t, pattern)?
        };
        if hs.is_empty() && *t != "all" {
            unmatched.push(t.to_string());
        }
        for h in hs {
            sel[h] = true;
        }
    }
    for (terms, keep) in [(&and, true), (&not, false)] {
        for t in terms.iter() {
            let hs = match_one(inv, t, pattern)?;
            if hs.is_empty() {
                unmatched.push(t.to_string());
            }
            let mut set = vec![false; inv.hosts.len()];
            for h in hs {
                set[h] = true;
            }
            for (s, m) in sel.iter_mut().zip(set) {
                *s &= if keep { m } else { !m };
            }
        }
    }
    Ok(Selection {
        hosts: (0..inv.hosts.len()).filter(|&i| sel[i]).collect(),
        unmatched,
    })
}

#[cfg(test)]
mod tests {
    /// Globs match what Python's `fnmatch.fnmatchcase` matches (the table was computed with
    /// Python 3.13 over these names).
    #[test]
    fn globs_match_as_fnmatch_does() {
        let names = [
            "d1", "d2", "d3", "a", "]", "b", "ax", "cx", "bx", "-", "\\", "wab", "wxbx", "[", "a[",
            "^", "&", "|", "e", "d", "x|", "xa", "web01.x", "web02.x", "web03.x", "w.com", "c",
        ];
        let table: &[(&str, &[&str])] = &[
            ("d?", &["d1", "d2", "d3"]),
            ("d[12]", &["d1", "d2"]),
            ("d[!1]", &["d2", "d3"]),
            ("[]a]", &["a", "]"]),
            (
                "[!]a]",
                &["b", "-", "\\", "[", "^", "&", "|", "e", "d", "c"],
            ),
            ("[a-c]x", &["ax", "cx", "bx"]),
            ("[c-a]x", &[]),
            ("[a-]", &["a", "-"]),
            ("[-a]", &["a", "-"]),
            ("[!a-c]", &["]", "-", "\\", "[", "^", "&", "|", "e", "d"]),
            ("[a\\]", &["a", "\\"]),
            ("w*b*", &["wab", "wxbx", "web01.x", "web02.x", "web03.x"]),
            ("[", &["["]),
            ("a[", &["a["]),
            ("[]", &[]),
            ("[!]", &[]),
            ("[^a]", &["a", "^"]),
            ("[a&&b]", &["a", "b", "&"]),
            ("[a-c-e]", &["a", "b", "-", "e", "c"]),
            ("[z-a-e]", &["-", "e"]),
            ("x[a|b]", &["x|", "xa"]),
            ("[[]", &["["]),
            ("web0[13].*", &["web01.x", "web03.x"]),
            ("*.com", &["w.com"]),
        ];
        for (glob, want) in table {
            let re = super::glob_regex(glob).unwrap();
            let got: Vec<&str> = names.iter().copied().filter(|n| re.is_match(n)).collect();
            assert_eq!(&got, want, "{glob}");
        }
        // Ranges next to hyphens, over names with digits and capitals too.
        let more: Vec<&str> = names.iter().copied().chain(["0", "A", "f"]).collect();
        let ranges: &[(&str, &[&str])] = &[
            ("[--a]", &["a", "]", "-", "\\", "[", "^", "0", "A"]),
            ("[a-cd-f]", &["a", "b", "e", "d", "c", "f"]),
            ("[a-a]", &["a"]),
            ("x[!--a]", &["x|"]),
            ("[!--a]", &["b", "&", "|", "e", "d", "c", "f"]),
            (
                "[!a-a]",
                &[
                    "]", "b", "-", "\\", "[", "^", "&", "|", "e", "d", "c", "0", "A", "f",
                ],
            ),
        ];
        for (glob, want) in ranges {
            let re = super::glob_regex(glob).unwrap();
            let got: Vec<&str> = more.iter().copied().filter(|n| re.is_match(n)).collect();
            assert_eq!(&got, want, "{glob}");
        }
        assert!(super::glob_matches("units*", "units and more"));
        assert!(!super::glob_matches("units*", "the units"));
        let all = super::glob_regex("**").unwrap();
        assert!(names.iter().all(|n| all.is_match(n)));
        assert_eq!(super::glob_regex("a**b").unwrap().as_str(), "^(?s:a.*b)$");
    }

    use super::split;
    use crate::Inventory;

    const INV: &str = "\
[k8s_controller]
controller0[1:3].i.domain.tld

[k8s_worker]
worker0[1:3].i.domain.tld

[etcd:children]
k8s_controller

[k8s:children]
k8s_controller
k8s_worker

[k8s:vars]
k8s_release=1.28.5
";

    fn names(inv: &Inventory, pattern: &str) -> Vec<String> {
        inv.select(pattern)
            .unwrap()
            .hosts
            .into_iter()
            .map(|i| inv.hosts[i].name.clone())
            .collect()
    }

    #[test]
    fn splitting() {
        assert_eq!(split("a:b:&c:!d"), ["a", "b", "&c", "!d"]);
        assert_eq!(split("web[1:3]:db"), ["web[1:3]", "db"]);
        assert_eq!(split("a:b, c"), ["a:b", "c"]);
        assert_eq!(split("host:22"), ["host:22"]);
    }

    #[test]
    fn patterns_select_like_ansible() {
        let inv = Inventory::parse_ini("inv.ini", INV).unwrap();
        assert_eq!(names(&inv, "all").len(), 6);
        assert_eq!(
            names(&inv, "etcd"),
            [
                "controller01.i.domain.tld",
                "controller02.i.domain.tld",
                "controller03.i.domain.tld"
            ]
        );
        assert_eq!(
            names(&inv, "k8s_worker:!worker02*"),
            ["worker01.i.domain.tld", "worker03.i.domain.tld"]
        );
        assert_eq!(
            names(&inv, "k8s:&*01*"),
            ["controller01.i.domain.tld", "worker01.i.domain.tld"]
        );
        assert_eq!(
            names(&inv, "~worker0[12]"),
            ["worker01.i.domain.tld", "worker02.i.domain.tld"]
        );
        assert!(
            names(&inv, "~orker").is_empty(),
            "~regex is anchored at the start"
        );
        assert_eq!(names(&inv, "~k8s_w").len(), 3, "~regex matches group names");
        assert_eq!(names(&inv, "k8s_worker[0]"), ["worker01.i.domain.tld"]);
        assert_eq!(
            names(&inv, "k8s_worker[1:]"),
            ["worker02.i.domain.tld", "worker03.i.domain.tld"]
        );
        assert_eq!(
            names(&inv, "k8s_worker[0-1]"),
            ["worker01.i.domain.tld", "worker02.i.domain.tld"]
        );
        assert_eq!(names(&inv, "k8s_worker[-1]"), ["worker03.i.domain.tld"]);
        assert_eq!(
            names(&inv, "worker0[!2].*"),
            ["worker01.i.domain.tld", "worker03.i.domain.tld"]
        );
        // Past the end: no hosts and a term to warn about (ansible-core 2.19: "No hosts
        // matched"), not an error.
        let past = inv.select("k8s_worker[5]").unwrap();
        assert!(past.hosts.is_empty());
        assert_eq!(past.unmatched, ["k8s_worker[5]"]);
        let sel = inv.select("workers:k8s_worker").unwrap();
        assert_eq!(sel.hosts.len(), 3);
        assert_eq!(sel.unmatched, ["workers"]);
    }

    #[test]
    fn subscripts_are_linear() {
        let inv = Inventory::parse_ini("big.ini", "[web]\nw[1:100000]\n").unwrap();
        let t = std::time::Instant::now();
        assert_eq!(inv.select("web[0]").unwrap().hosts, [0]);
        assert!(t.elapsed().as_secs() < 5);
    }
}
