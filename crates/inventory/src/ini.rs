//! ansible-core's INI inventory plugin: `[group]`, `[group:vars]`, `[group:children]`, host
//! lines split like Python's shlex, every value through Python's `literal_eval`, and the
//! same errors (an undefined child group, a `:vars` section for no group).

use crate::{pyliteral::ini_value, range, shlex, Error, Inventory, Origin};
use std::collections::HashMap;

enum State {
    Hosts,
    Vars,
    Children,
}

struct Pending {
    line: usize,
    vars_only: bool,
    parents: Vec<String>,
}

/// Split `host:port` (ansible-core's `parse_address` with ranges allowed).
/// The port is as written (any digits), so a caller can refuse one out of range.
pub(crate) fn split_port(token: &str) -> (String, Option<u64>) {
    // `[v6]:port` or `[host]:port`.
    if let Some(rest) = token.strip_prefix('[') {
        if let Some((inside, port)) = rest.rsplit_once("]:") {
            if let Ok(p) = port.parse::<u64>() {
                if !inside.contains('[') {
                    return (inside.to_string(), Some(p));
                }
            }
        }
    }
    // Colons outside ranges: one means host:port, more an IPv6 address.
    let mut depth = 0;
    let mut colons = Vec::new();
    for (i, c) in token.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    if colons.len() == 1 {
        let (h, p) = (&token[..colons[0]], &token[colons[0] + 1..]);
        let hostish = !h.is_empty()
            && h.chars()
                .all(|c| c.is_alphanumeric() || "._-[]:".contains(c));
        if hostish && !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(port) = p.parse::<u64>() {
                return (h.to_string(), Some(port));
            }
        }
    }
    (token.to_string(), None)
}

/// The most bytes of host-line variables an inventory may hold, each host's copy counted.
pub const MAX_HOST_VAR_BYTES: usize = 64 << 20;

/// The hosts a host token stands for, and its port (shared with the YAML plugin).
pub(crate) fn expand_host(
    inv: &Inventory,
    file: &str,
    line: usize,
    token: &str,
) -> Result<(Vec<String>, Option<u16>), Error> {
    if token.starts_with('[') && !token.contains(']') {
        // ansible-core fails to parse such a line (and drops the whole file).
        return Err(Error::at(
            file,
            line,
            format!("`{token}` is neither a section ([name]) nor a host"),
        ));
    }
    let (pattern, port) = split_port(token);
    let port =
        valid_port(port).map_err(|e| Error::at(file, line, format!("host `{token}`: {e}")))?;
    let budget = range::MAX_HOSTS.saturating_sub(inv.hosts.len());
    let names = range::expand(&pattern, budget).map_err(|e| Error::at(file, line, e))?;
    Ok((names, port))
}

/// A port ssh can use; ansible-core takes any digits and fails later, at connection time.
pub(crate) fn valid_port(port: Option<u64>) -> Result<Option<u16>, String> {
    match port {
        None => Ok(None),
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|&p| p > 0)
            .map(Some)
            .ok_or_else(|| format!("port {p} is out of range (1-65535)")),
    }
}

fn section(line: &str) -> Option<(String, Option<String>)> {
    let inner = line.strip_prefix('[')?;
    let close = inner.find(']')?;
    let (head, after) = (&inner[..close], inner[close + 1..].trim_start());
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let (name, tag) = match head.split_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (head, None),
    };
    // (`name` holds no `:` or `]`: it ends at the first of them.)
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return None;
    }
    if let Some(t) = tag {
        if t.is_empty() || !t.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
    }
    Some((name.to_string(), tag.map(str::to_string)))
}

pub fn parse(inv: &mut Inventory, file: &str, text: &str) -> Result<(), Error> {
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut pending_order: Vec<String> = Vec::new();
    let mut group = "ungrouped".to_string();
    let mut state = State::Hosts;
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let at = |m: String| Error::at(file, line_no, m);
        if let Some((name, tag)) = section(line) {
            state = match tag.as_deref() {
                None | Some("hosts") => State::Hosts,
                Some("vars") => State::Vars,
                Some("children") => State::Children,
                Some(other) => {
                    return Err(at(format!(
                        "section [{name}:{other}] has unknown type `{other}`; use [{name}], [{name}:vars] or [{name}:children]"
                    )))
                }
            };
            if !inv.groups.contains_key(&name) {
                if matches!(state, State::Vars) && !pending.contains_key(&name) {
                    pending.insert(
                        name.clone(),
                        Pending {
                            line: line_no,
                            vars_only: true,
                            parents: vec![],
                        },
                    );
                    pending_order.push(name.clone());
                }
                inv.add_group(&name);
            }
            if !matches!(state, State::Vars) {
                if let Some(p) = pending.remove(&name) {
                    pending_order.retain(|g| *g != name);
                    for parent in p.parents {
                        if !inv.add_child(&parent, &name) {
                            return Err(at(format!(
                                "adding group `{name}` as a child of `{parent}` makes a loop"
                            )));
                        }
                    }
                }
            }
            group = name;
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(at(format!(
                "invalid section entry `{line}`: a section is [name], [name:vars] or [name:children], with no spaces"
            )));
        }
        let origin = Origin {
            file: file.to_string(),
            line: line_no,
        };
        match state {
            State::Hosts => {
                let tokens = shlex::split(line)
                    .map_err(|e| at(format!("cannot split host line `{line}`: {e}")))?;
                let Some((first, rest)) = tokens.split_first() else {
                    continue;
                };
                let (names, port) = expand_host(inv, file, line_no, first)?;
                if first.trim_end().ends_with(':') && port.is_none() {
                    return Err(at(format!(
                        "invalid host `{first}`: a trailing `:` must be followed by a port"
                    )));
                }
                if names.iter().any(|h| h.trim() == "---") {
                    return Err(at(
                        "`---` is not a host: this looks like a YAML file; name it .yml".into(),
                    ));
                }
                // A range gives each host its own copy of the line's variables: a 40 KB
                // line over 50,000 hosts would be 2 GB.
                let line_bytes: usize = rest.iter().map(|t| t.len()).sum();
                inv.host_var_bytes = inv
                    .host_var_bytes
                    .saturating_add(line_bytes.saturating_mul(names.len()));
                if inv.host_var_bytes > MAX_HOST_VAR_BYTES {
                    return Err(at(format!(
                        "host variables pass {} MiB in all ({} hosts get this line's {line_bytes} bytes each); put shared variables in [group:vars] or group_vars/",
                        MAX_HOST_VAR_BYTES >> 20,
                        names.len()
                    )));
                }
                let mut vars = Vec::new();
                for t in rest {
                    let (k, v) = t.split_once('=').ok_or_else(|| {
                        at(format!(
                            "expected key=value host variable assignment, got `{t}`"
                        ))
                    })?;
                    vars.push((k.to_string(), ini_value(v)));
                }
                for name in names {
                    let h = inv.add_host(&name, origin.clone());
                    inv.add_host_to_group(&group, h);
                    if let Some(p) = port {
                        inv.hosts[h]
                            .vars
                            .set("ansible_port", p.into(), origin.clone());
                    }
                    for (k, v) in &vars {
                        inv.hosts[h].vars.set(k, v.clone(), origin.clone());
                    }
                }
            }
            State::Vars => {
                let (k, v) = line.split_once('=').ok_or_else(|| {
                    at(format!(
                        "expected key=value in [{group}:vars], got `{line}`"
                    ))
                })?;
                inv.groups
                    .get_mut(&group)
                    .expect("section groups exist")
                    .vars
                    .set(k.trim(), ini_value(v.trim()), origin);
            }
            State::Children => {
                let child = line
                    .split('#')
                    .next()
                    .map(str::trim)
                    .filter(|c| {
                        !c.is_empty() && !c.contains([':', ']']) && !c.contains(char::is_whitespace)
                    })
                    .ok_or_else(|| {
                        at(format!(
                            "expected a group name in [{group}:children], got `{line}`"
                        ))
                    })?;
                if inv.groups.contains_key(child) {
                    if !inv.add_child(&group, child) {
                        return Err(at(format!(
                            "adding group `{child}` as a child of `{group}` makes a loop"
                        )));
                    }
                } else {
                    match pending.get_mut(child) {
                        Some(p) => p.parents.push(group.clone()),
                        None => {
                            pending.insert(
                                child.to_string(),
                                Pending {
                                    line: line_no,
                                    vars_only: false,
                                    parents: vec![group.clone()],
                                },
                            );
                            pending_order.push(child.to_string());
                        }
                    }
                }
            }
        }
    }
    if let Some(name) = pending_order.first() {
        let p = &pending[name];
        return Err(Error::at(
            file,
            p.line,
            if p.vars_only {
                format!("section [{name}:vars] is for group `{name}`, which is not defined; add a [{name}] section or fix the name")
            } else {
                format!(
                    "section [{}:children] includes group `{name}`, which is not defined; add a [{name}] section (it may be empty) or fix the name",
                    p.parents.last().expect("children have a parent")
                )
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{section, split_port, MAX_HOST_VAR_BYTES};

    /// Each host of a range gets the line's variables: up to the budget exactly is fine,
    /// one host more is an error at the line.
    #[test]
    fn host_line_variables_are_bounded_over_a_range() {
        let per_host = 64 * 1024;
        let hosts = MAX_HOST_VAR_BYTES / per_host;
        let line = |n: usize| format!("h[1:{n}] v={}\n", "x".repeat(per_host - 2));
        let inv = crate::Inventory::parse_ini("i.ini", &line(hosts)).unwrap();
        assert_eq!(inv.hosts.len(), hosts + 1, "and the implicit localhost");
        let e = crate::Inventory::parse_ini("i.ini", &line(hosts + 1)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("i.ini:1: host variables pass 64 MiB in all (1025 hosts"),
            "{e}"
        );
        // Counted over the whole file, not per line.
        let two = format!("{}{}", line(hosts), line(1).replace("h[1:1]", "g"));
        assert!(crate::Inventory::parse_ini("i.ini", &two).is_err());
    }

    /// Host tokens as ansible-core's parse_address splits them (checked with 2.19).
    #[test]
    fn ports_split_as_ansible_splits_them() {
        let cases: &[(&str, &str, Option<u64>)] = &[
            ("h-1.x_y:2200", "h-1.x_y", Some(2200)),
            ("[h1]:22", "h1", Some(22)),
            ("[fe80::1]:2200", "fe80::1", Some(2200)),
            ("h[1:2]:30", "h[1:2]", Some(30)),
            ("host:99999", "host", Some(99999)),
            (":22", ":22", None),
            ("host:", "host:", None),
            ("host:22x", "host:22x", None),
            ("h@x:22", "h@x:22", None),
            ("fe80::1:22", "fe80::1:22", None),
            ("[h1]", "[h1]", None),
            ("plain", "plain", None),
        ];
        for &(token, host, port) in cases {
            assert_eq!(split_port(token), (host.to_string(), port), "{token}");
        }
        let e = Inventory::parse_ini("i.ini", "[g]\nhost:99999\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "i.ini:2: host `host:99999`: port 99999 is out of range (1-65535)"
        );
        assert!(Inventory::parse_ini("i.ini", "[g]\nhost:0\n").is_err());
        let list = Inventory::load(&["a:65536,".into()], None).unwrap_err();
        assert!(
            list.to_string().contains("port 65536 is out of range"),
            "{list}"
        );
    }

    /// Section headers ansible-core accepts; the rest make it drop the whole file (rb refuses
    /// it, naming the line).
    #[test]
    fn section_headers() {
        let some = |n: &str, t: Option<&str>| Some((n.to_string(), t.map(str::to_string)));
        assert_eq!(section("[web]"), some("web", None));
        assert_eq!(section("[web:vars]"), some("web", Some("vars")));
        assert_eq!(
            section("[web:children] # note"),
            some("web", Some("children"))
        );
        assert_eq!(section("[web:my_tag2]"), some("web", Some("my_tag2")));
        for bad in [
            "[]", "[a b]", "[a:]", "[a:b c]", "[:vars]", "[a]]", "[a:x-y]", "[a]x",
        ] {
            assert_eq!(section(bad), None, "{bad}");
        }
        for bad in ["[]\nh1\n", "[a b]\nh1\n"] {
            let e = Inventory::parse_ini("i.ini", bad).unwrap_err();
            assert!(
                e.to_string().starts_with("i.ini:1: invalid section entry"),
                "{e}"
            );
        }
    }

    #[test]
    fn children_lines_are_single_group_names() {
        for (line, ok) in [
            ("b", true),
            ("b # note", true),
            ("b c", false),
            ("b:x", false),
            ("b]", false),
        ] {
            let text = format!("[b]\nh1\n[p:children]\n{line}\n");
            let got = Inventory::parse_ini("i.ini", &text);
            assert_eq!(got.is_ok(), ok, "{line}: {:?}", got.err());
            if let Err(e) = got {
                assert!(
                    e.to_string()
                        .starts_with("i.ini:4: expected a group name in [p:children]"),
                    "{e}"
                );
            }
        }
    }

    /// `[g:vars]` may come before `[g]` (or before the `:children` naming it), even twice;
    /// with no group of that name at all, the file is refused.
    #[test]
    fn vars_sections_before_their_group() {
        let inv = Inventory::parse_ini(
            "i.ini",
            "[a:vars]\nx=1\n[a:vars]\ny=2\n[a:children]\nb\n[b]\nh1\n[c:vars]\nz=3\n[c]\nh2\n",
        )
        .unwrap();
        assert_eq!(
            serde_json::Value::Object(inv.host_vars(0)),
            json!({"x": 1, "y": 2})
        );
        assert_eq!(serde_json::Value::Object(inv.host_vars(1)), json!({"z": 3}));
        // The first [a:vars] is the one named.
        let e = Inventory::parse_ini("i.ini", "[a:vars]\nx=1\n[a:vars]\ny=2\n").unwrap_err();
        assert!(
            e.to_string().starts_with("i.ini:1: section [a:vars]"),
            "{e}"
        );
        let e = Inventory::parse_ini("i.ini", "[a:vars]\nx=1\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("i.ini:1: section [a:vars] is for group `a`, which is not defined"),
            "{e}"
        );
        let e = Inventory::parse_ini("i.ini", "[a]\nh1\n[a:children]\na\n").unwrap_err();
        assert!(e.to_string().contains("makes a loop"), "{e}");
        let e = Inventory::parse_ini("i.ini", "[a:children]\nb\n[b:children]\na\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("i.ini:4: adding group `a` as a child of `b` makes a loop"),
            "{e}"
        );
    }

    use crate::Inventory;
    use serde_json::json;

    #[test]
    fn host_lines_vars_and_ports() {
        let inv = Inventory::parse_ini(
            "i.ini",
            "localhost ansible_connection=local\nweb1:2222 ansible_user=deploy note=\"two words\" count=3 flag=True c=\"say \\\"hi\\\"\"\n",
        )
        .unwrap();
        let w = inv.host_vars(1);
        assert_eq!(inv.hosts[1].name, "web1");
        assert_eq!(w["ansible_port"], json!(2222));
        assert_eq!(w["note"], json!("two words"));
        assert_eq!(w["count"], json!(3));
        assert_eq!(w["flag"], json!(true));
        assert_eq!(w["c"], json!("say \"hi\""));
    }

    #[test]
    fn errors_carry_file_and_line() {
        let e = Inventory::parse_ini("inventory.ini", "[web]\nweb1\n[web:vras]\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:3: section [web:vras] has unknown type"),
            "{e}"
        );
        let e = Inventory::parse_ini("inventory.ini", "[web]\nweb[1:x]\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:2: invalid host range"),
            "{e}"
        );
        let e =
            Inventory::parse_ini("inventory.ini", "[web]\n[web:vars]\njust_a_word\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:3: expected key=value"),
            "{e}"
        );
        let e = Inventory::parse_ini("inventory.ini", "web1 oops\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inventory.ini:1: expected key=value host variable"),
            "{e}"
        );
        let e = Inventory::parse_ini("inventory.ini", "[k8s:children]\nworkers\n").unwrap_err();
        assert_eq!(e.to_string(), "inventory.ini:2: section [k8s:children] includes group `workers`, which is not defined; add a [workers] section (it may be empty) or fix the name");
    }
}
