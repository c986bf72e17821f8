//! `group_vars/` and `host_vars/` as ansible-core's host_group_vars plugin reads them: for a
//! name, the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that exists; a folder
//! of that name gives every YAML/JSON file inside it, in sorted order, later files winning.

use crate::yaml::{self, Kind};
use crate::{Error, Inventory, Origin, Vars};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Cache {
    map: HashMap<(PathBuf, &'static str, String), Vars>,
}

impl Cache {
    pub fn get(&self, dir: &Path, kind: &'static str, name: &str) -> Option<&Vars> {
        self.map.get(&(dir.to_path_buf(), kind, name.to_string()))
    }
}

const EXTS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

fn files_for(base: &Path, name: &str) -> Vec<PathBuf> {
    for ext in EXTS {
        let p = base.join(format!("{name}{ext}"));
        if p.is_dir() {
            let mut out = Vec::new();
            dir_files(&p, &mut out);
            return out;
        }
        if p.is_file() {
            return vec![p];
        }
    }
    Vec::new()
}

fn dir_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            // Hidden files and editor backups are skipped.
            !p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with('.') || n.ends_with('~')
            })
        })
        .collect();
    entries.sort();
    for p in entries {
        let ext = p.extension().map(|e| format!(".{}", e.to_string_lossy()));
        let ext = ext.as_deref().unwrap_or("");
        // As `_get_dir_vars_files`: a sub-folder is read only when its name has no
        // extension (`conf.d/` is not), a file only with a known extension or none.
        if p.is_dir() {
            if ext.is_empty() {
                dir_files(&p, out);
            }
        } else if EXTS.contains(&ext) {
            out.push(p);
        }
    }
}

fn load_file(path: &Path) -> Result<Vars, Error> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::source(&file, format!("cannot read variables: {e}")))?;
    let (text, encrypted) = crate::vault::open(text).map_err(|e| Error::source(&file, e))?;
    let mut vars = Vars::default();
    let root = yaml::parse(&text)
        .map_err(|e| Error::at(&file, e.line, format!("invalid YAML: {}", e.message)))?;
    match root.map(|r| (r.line, r.kind)) {
        None | Some((_, Kind::Scalar(serde_json::Value::Null))) => {}
        Some((_, Kind::Map(pairs))) => {
            for (k, v) in pairs {
                if encrypted {
                    crate::vault::found_in(&v.to_value());
                }
                vars.set(
                    &k,
                    v.to_value(),
                    Origin {
                        file: file.clone(),
                        line: v.line,
                    },
                );
            }
        }
        Some((line, _)) => {
            return Err(Error::at(
                &file,
                line,
                "a variables file holds a mapping (name: value)",
            ))
        }
    }
    Ok(vars)
}

impl Inventory {
    /// Read the `group_vars/` and `host_vars/` of every folder in `vars_dirs`, for the
    /// groups and hosts this inventory has.
    pub(crate) fn load_vars_files(&mut self) -> Result<(), Error> {
        let mut cache = Cache::default();
        let groups: Vec<&String> = self.groups.keys().collect();
        let hosts: Vec<&String> = self.hosts.iter().map(|h| &h.name).collect();
        for dir in &self.vars_dirs {
            for (kind, names) in [("group_vars", &groups), ("host_vars", &hosts)] {
                // One look at the folder, not one per group or host.
                let base = dir.join(kind);
                if !base.is_dir() {
                    continue;
                }
                for name in names.iter() {
                    let mut merged = Vars::default();
                    let files = files_for(&base, name);
                    if files.is_empty() {
                        continue;
                    }
                    for f in files {
                        merged.merge(&load_file(&f)?);
                    }
                    cache
                        .map
                        .insert((dir.clone(), kind, name.to_string()), merged);
                }
            }
        }
        self.files = cache;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `_get_dir_vars_files`: sorted, recursive into sub-folders without an extension;
    /// hidden files, backups and unknown extensions skipped.
    #[test]
    fn a_vars_folder_is_read_as_ansible_core_reads_it() {
        let d = tempfile::tempdir().unwrap();
        let all = d.path().join("all");
        for sub in ["conf.d", "sub", ".hidden"] {
            std::fs::create_dir_all(all.join(sub)).unwrap();
        }
        for f in [
            "main.yml",
            "b.json",
            "plain",
            "conf.d/x.yml",
            "sub/y.yaml",
            ".hidden/h.yml",
            ".dot.yml",
            "z.yml~",
            "w.txt",
            "end.",
        ] {
            std::fs::write(all.join(f), "").unwrap();
        }
        let found: Vec<String> = files_for(d.path(), "all")
            .iter()
            .map(|p| p.strip_prefix(&all).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["b.json", "main.yml", "plain", "sub/y.yaml"]);
    }
}
