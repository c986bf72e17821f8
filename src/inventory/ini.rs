//! Ansible's INI inventory format.
//!
//! Values: inline on a host line, integers and true/false (any case) are typed and quoted
//! text is unquoted, as Ansible's literal evaluation does for the common cases; in
//! `[group:vars]` every value is a string (Ansible's rule), with surrounding quotes removed.

use super::{range, Group, HostEntry, Inventory, InventoryError};
use rhai::Dynamic;

fn err(file: &str, line: usize, message: impl Into<String>) -> InventoryError {
    InventoryError {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

/// Split a host line into words, honouring single and double quotes.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

fn typed(v: &str) -> Dynamic {
    if let Ok(i) = v.parse::<i64>() {
        if !(v.len() > 1 && v.starts_with('0')) {
            return i.into();
        }
    }
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" => true.into(),
        "false" | "no" => false.into(),
        _ => v.to_string().into(),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_-.".contains(c))
}

/// Strip a comment that starts a word (`host # note`), but not `#` inside a value.
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if (c == '#' || c == ';') && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}

pub fn parse(file: &str, text: &str) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory {
        file: file.to_string(),
        ..Default::default()
    };
    let mut section = Section::Hosts("ungrouped".into());
    let group = |inv: &mut Inventory, name: &str| {
        inv.groups.entry(name.to_string()).or_insert_with(|| Group {
            name: name.to_string(),
            ..Default::default()
        });
    };
    group(&mut inv, "all");
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let inner = rest
                .strip_suffix(']')
                .ok_or_else(|| {
                    err(
                        file,
                        line_no,
                        format!("section header `{line}` is missing `]`"),
                    )
                })?
                .trim();
            let (name, kind) = match inner.split_once(':') {
                None => (inner, ""),
                Some((n, k)) => (n, k),
            };
            if !valid_name(name) {
                return Err(err(file, line_no, format!("invalid group name `{name}`")));
            }
            section = match kind {
                "" => Section::Hosts(name.into()),
                "vars" => Section::Vars(name.into()),
                "children" => Section::Children(name.into()),
                other => {
                    return Err(err(
                        file,
                        line_no,
                        format!(
                            "unknown section type `:{other}` (expected `:vars` or `:children`)"
                        ),
                    ))
                }
            };
            group(&mut inv, name);
            continue;
        }
        match &section {
            Section::Vars(g) => {
                let (k, v) = line.split_once('=').ok_or_else(|| {
                    err(
                        file,
                        line_no,
                        format!("expected `key=value` in [{g}:vars], got `{line}`"),
                    )
                })?;
                let k = k.trim();
                if !valid_name(k) {
                    return Err(err(file, line_no, format!("invalid variable name `{k}`")));
                }
                let g = g.clone();
                inv.groups
                    .get_mut(&g)
                    .expect("section groups exist")
                    .vars
                    .insert(k.to_string(), unquote(v).to_string().into());
            }
            Section::Children(g) => {
                if !valid_name(line) {
                    return Err(err(
                        file,
                        line_no,
                        format!("invalid child group name `{line}` in [{g}:children]"),
                    ));
                }
                if line == g {
                    return Err(err(
                        file,
                        line_no,
                        format!("group `{g}` cannot be its own child"),
                    ));
                }
                group(&mut inv, line);
                let g = g.clone();
                let parent = inv.groups.get_mut(&g).expect("section groups exist");
                if !parent.children.iter().any(|c| c == line) {
                    parent.children.push(line.to_string());
                }
            }
            Section::Hosts(g) => {
                let ws = words(line).map_err(|e| err(file, line_no, e))?;
                let (pattern, rest) = ws.split_first().expect("line is not empty");
                let mut vars = std::collections::BTreeMap::new();
                for w in rest {
                    let (k, v) = w.split_once('=').ok_or_else(|| {
                        err(
                            file,
                            line_no,
                            format!("expected `key=value` after the host name, got `{w}`"),
                        )
                    })?;
                    if !valid_name(k) {
                        return Err(err(file, line_no, format!("invalid variable name `{k}`")));
                    }
                    vars.insert(k.to_string(), typed(v));
                }
                // `host:2222` sets the port (a `:` inside a range does not count).
                let mut pattern = pattern.as_str();
                if let Some(i) = pattern.rfind(':') {
                    let port = &pattern[i + 1..];
                    if !pattern[i..].contains(']')
                        && !port.is_empty()
                        && port.chars().all(|c| c.is_ascii_digit())
                        && pattern.matches(':').count() == 1
                    {
                        vars.entry("ansible_port".into())
                            .or_insert_with(|| typed(port));
                        pattern = &pattern[..i];
                    }
                }
                let names = range::expand(pattern).map_err(|e| err(file, line_no, e))?;
                let g = g.clone();
                for name in names {
                    let idx = match inv.index.get(&name) {
                        Some(&i) => i,
                        None => {
                            inv.hosts.push(HostEntry {
                                name: name.clone(),
                                vars: Default::default(),
                            });
                            inv.index.insert(name.clone(), inv.hosts.len() - 1);
                            inv.hosts.len() - 1
                        }
                    };
                    inv.hosts[idx].vars.extend(vars.clone());
                    if g != "ungrouped" {
                        let grp = inv.groups.get_mut(&g).expect("section groups exist");
                        if !grp.hosts.contains(&idx) {
                            grp.hosts.push(idx);
                        }
                    }
                }
            }
        }
    }
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn host_lines_vars_and_ports() {
        let inv = parse(
            "i.ini",
            "localhost ansible_connection=local\nweb1:2222 ansible_user=deploy note=\"two words\" count=3 flag=True\n",
        )
        .unwrap();
        assert_eq!(inv.hosts.len(), 2);
        let w = &inv.hosts[1];
        assert_eq!(w.name, "web1");
        assert_eq!(w.vars["ansible_port"].as_int().unwrap(), 2222);
        assert_eq!(w.vars["note"].to_string(), "two words");
        assert_eq!(w.vars["count"].as_int().unwrap(), 3);
        assert!(w.vars["flag"].as_bool().unwrap());
    }

    #[test]
    fn errors_carry_file_and_line() {
        let e = parse("inventory.ini", "[web]\nweb1\n[web:vras]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inventory.ini:3: unknown section type `:vras` (expected `:vars` or `:children`)"
        );
        let e = parse("inventory.ini", "[web]\nweb[1:x]\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:2: invalid host range"),
            "{e}"
        );
        let e = parse("inventory.ini", "[web:vars]\njust_a_word\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:2: expected `key=value`"),
            "{e}"
        );
        let e = parse("inventory.ini", "web1 oops\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:1: expected `key=value` after the host name"),
            "{e}"
        );
        let e = parse("inventory.ini", "[web\n").unwrap_err();
        assert!(e.to_string().contains("missing `]`"), "{e}");
    }
}
