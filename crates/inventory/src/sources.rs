//! Inventory sources as ansible-core picks a plugin for them: a `host1,host2,` list, a
//! folder (every inventory file in it), a YAML file (`.yml`, `.yaml`, `.json`), an INI
//! file, or a file without extension tried as YAML first, then INI.

use crate::yaml::{self, Kind, Node};
use crate::{ini, Error, Inventory, Origin};
use std::path::Path;

/// File names a folder source skips (ansible-core's INVENTORY_IGNORE_EXTS and the vars
/// folders).
fn ignored(name: &str) -> bool {
    const EXTS: [&str; 12] = [
        ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg",
        ".retry",
    ];
    name.starts_with('.')
        || matches!(name, "host_vars" | "group_vars" | "vars_plugins")
        || EXTS.iter().any(|e| name.ends_with(e))
}

pub fn add_source(inv: &mut Inventory, src: &str) -> Result<(), Error> {
    let path = Path::new(src);
    if path.is_dir() {
        inv.vars_dirs.push(path.to_path_buf());
        return add_dir(inv, path);
    }
    if path.exists() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() {
            ".".into()
        } else {
            dir
        };
        inv.vars_dirs.push(dir);
        return add_file(inv, path);
    }
    if src.contains(',') {
        // ansible-core's vars plugins look beside a host list's "file": the current
        // folder's group_vars/ and host_vars/ apply to it.
        inv.vars_dirs.push(".".into());
        for h in src.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let (name, port) = ini::split_port(h);
            let port = ini::valid_port(port).map_err(|e| Error::Source {
                src: src.to_string(),
                message: format!("host `{h}`: {e}"),
            })?;
            let origin = Origin {
                file: "(-i host list)".into(),
                line: 0,
            };
            if !inv.index.contains_key(&name) {
                let i = inv.add_host(&name, origin.clone());
                inv.add_host_to_group("ungrouped", i);
                if let Some(p) = port {
                    inv.hosts[i].vars.set("ansible_port", p.into(), origin);
                }
            }
        }
        return Ok(());
    }
    Err(Error::source(
        src,
        "no such file or folder (a list of hosts needs a comma: -i 'host1,')",
    ))
}

fn add_dir(inv: &mut Inventory, dir: &Path) -> Result<(), Error> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| {
            Error::source(
                &dir.display().to_string(),
                format!("cannot read folder: {e}"),
            )
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !ignored(n))
        .collect();
    names.sort();
    for n in names {
        let p = dir.join(&n);
        if p.is_dir() {
            add_dir(inv, &p)?;
        } else {
            add_file(inv, &p)?;
        }
    }
    Ok(())
}

fn add_file(inv: &mut Inventory, path: &Path) -> Result<(), Error> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Error::source(&file, format!("cannot read inventory: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        Error::at(&file, line, "not valid UTF-8; save the inventory as UTF-8")
    })?;
    // An inventory encrypted with ansible-vault: read its plaintext, every string in it
    // a secret.
    let (text, encrypted) = crate::vault::open(text).map_err(|e| Error::source(&file, e))?;
    if encrypted {
        let mut trial = Inventory::new();
        let parsed = match path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .as_deref()
        {
            Some("yml" | "yaml" | "json") => parse_yaml(&mut trial, &file, &text),
            _ => ini::parse(&mut trial, &file, &text),
        };
        if parsed.is_ok() {
            for h in 0..trial.hosts.len() {
                crate::vault::found_in(&serde_json::Value::Object(trial.host_vars(h)));
            }
        }
    }
    if text.starts_with("#!") {
        return Err(Error::source(
            &file,
            "an inventory script: rb does not run dynamic inventory scripts; save its output with `ansible-inventory -i SCRIPT --list -y > inventory.yml` and use that",
        ));
    }
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase());
    match ext.as_deref() {
        Some("yml" | "yaml" | "json") => parse_yaml(inv, &file, &text),
        Some("toml") => Err(Error::source(
            &file,
            "TOML inventories are not supported; convert it to YAML or INI",
        )),
        Some(_) => ini::parse(inv, &file, &text),
        None => {
            // ansible-core tries the yaml plugin before the ini plugin.
            let mut trial = inv.clone();
            match parse_yaml(&mut trial, &file, &text) {
                Ok(()) => {
                    *inv = trial;
                    Ok(())
                }
                Err(yaml_err) => {
                    let looks_yaml = text.lines().any(|l| {
                        l.trim_end().ends_with(':') && !l.trim_start().starts_with(['#', ';', '['])
                    });
                    ini::parse(inv, &file, &text).map_err(|ini_err| {
                        if looks_yaml {
                            yaml_err
                        } else {
                            ini_err
                        }
                    })
                }
            }
        }
    }
}

/// The `yaml` inventory plugin: top-level keys are groups, each with `hosts`, `vars`,
/// `children`.
pub fn parse_yaml(inv: &mut Inventory, file: &str, text: &str) -> Result<(), Error> {
    let root = yaml::parse(text).map_err(|e| {
        // A vault value that cannot be decrypted is no YAML mistake.
        let what = if e.message.starts_with("an `!vault` value") {
            e.message
        } else {
            format!("invalid YAML (column {}): {}", e.col, e.message)
        };
        Error::at(file, e.line, what)
    })?;
    let Some(root) = root.filter(|r| !r.is_null()) else {
        return Err(Error::source(file, "empty YAML inventory"));
    };
    let Kind::Map(groups) = &root.kind else {
        return Err(Error::at(
            file,
            root.line,
            "a YAML inventory is a mapping of groups (all:, webservers:, ...)",
        ));
    };
    if groups.iter().any(|(k, v)| k == "plugin" && !v.is_null()) {
        return Err(Error::source(
            file,
            "an inventory plugin configuration (`plugin:`), not an inventory: rb reads static inventories; save the plugin's output with `ansible-inventory -i FILE --list -y > inventory.yml`",
        ));
    }
    for (name, data) in groups {
        group(inv, file, name, data)?;
    }
    Ok(())
}

fn group(inv: &mut Inventory, file: &str, name: &str, data: &Node) -> Result<(), Error> {
    let pairs = match &data.kind {
        Kind::Map(p) => p.clone(),
        Kind::Scalar(serde_json::Value::Null) => Vec::new(),
        _ => {
            return Err(Error::at(
                file,
                data.line,
                format!(
                    "group `{name}` is not a mapping; a group holds hosts:, vars: and children:"
                ),
            ))
        }
    };
    inv.add_group(name);
    for (key, val) in &pairs {
        // A string is a one-entry mapping (`hosts: web1`), as ansible-core reads it.
        let entries: Vec<(String, Node)> = match &val.kind {
            Kind::Map(p) => p.clone(),
            Kind::Scalar(serde_json::Value::Null) => continue,
            Kind::Scalar(serde_json::Value::String(s)) if matches!(key.as_str(), "hosts" | "vars" | "children") => {
                vec![(s.clone(), Node { line: val.line, kind: Kind::Scalar(serde_json::Value::Null) })]
            }
            _ => {
                return Err(Error::at(file, val.line, format!(
                    "`{key}` of group `{name}` must be a mapping (name: value), not a list or a value"
                )))
            }
        };
        match key.as_str() {
            "vars" => {
                for (k, v) in entries {
                    let origin = Origin { file: file.to_string(), line: v.line };
                    inv.groups.get_mut(name).expect("added").vars.set(&k, v.to_value(), origin);
                }
            }
            "children" => {
                for (child, cdata) in entries {
                    group(inv, file, &child, &cdata)?;
                    if !inv.add_child(name, &child) {
                        return Err(Error::at(file, cdata.line, format!(
                            "adding group `{child}` as a child of `{name}` makes a loop"
                        )));
                    }
                }
            }
            "hosts" => {
                for (token, hdata) in entries {
                    let (names, port) = ini::expand_host(inv, file, hdata.line, &token)?;
                    let hvars: Vec<(String, Node)> = match &hdata.kind {
                        Kind::Map(p) => p.clone(),
                        Kind::Scalar(serde_json::Value::Null) => Vec::new(),
                        _ => {
                            return Err(Error::at(file, hdata.line, format!(
                                "host `{token}` of group `{name}` must map to its variables (or nothing)"
                            )))
                        }
                    };
                    for h in names {
                        let origin = Origin { file: file.to_string(), line: hdata.line };
                        let i = inv.add_host(&h, origin.clone());
                        inv.add_host_to_group(name, i);
                        if let Some(p) = port {
                            inv.hosts[i].vars.set("ansible_port", p.into(), origin.clone());
                        }
                        for (k, v) in &hvars {
                            let origin = Origin { file: file.to_string(), line: v.line };
                            inv.hosts[i].vars.set(k, v.to_value(), origin);
                        }
                    }
                }
            }
            other => {
                return Err(Error::at(file, val.line, format!(
                    "unexpected key `{other}` in group `{name}`: a group holds only hosts:, vars: and children:"
                )))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A host list's group_vars/ are the current folder's (ansible-core's vars plugins look
    /// beside the list as if it were a file there).
    #[test]
    fn a_host_list_reads_vars_beside_it_in_the_current_folder() {
        let mut inv = crate::Inventory::new();
        super::add_source(&mut inv, "web1,web2:2222,").unwrap();
        assert_eq!(inv.vars_dirs, [std::path::PathBuf::from(".")]);
        assert_eq!(inv.hosts.len(), 2);
    }
}
