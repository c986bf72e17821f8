//! rb's inventory against ansible-core 2.19, on the corpus in tests/inventories/: every
//! group, host, variable value and type (`ansible-inventory --list`) and every pattern's host
//! set (`ansible PATTERN --list-hosts`) must be equal. The expected files were recorded by
//! tests/inventories/record.sh from a real ansible-core; no Python is needed here.

use inventory::Inventory;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/inventories")
}

fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("sources").exists())
        .collect();
    out.sort();
    out
}

fn load(case: &Path) -> Inventory {
    let sources: Vec<String> = std::fs::read_to_string(case.join("sources"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|s| {
            let p = case.join(s);
            if p.exists() {
                p.display().to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    Inventory::load(&sources, None).unwrap_or_else(|e| panic!("{}: {e}", case.display()))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn the_corpus_is_big_enough() {
    assert!(
        cases().len() >= 15,
        "issue 10 asks for at least 15 inventories"
    );
}

#[test]
fn list_output_equals_ansible_inventory() {
    let mut failures = Vec::new();
    for case in cases() {
        let inv = load(&case);
        let want = read_json(&case.join("expected/list.json"));
        let got = inv.to_list_json();
        if got != want {
            // Name the groups (or hosts' variables) that differ, not the whole document.
            let (g, w) = (got.as_object().unwrap(), want.as_object().unwrap());
            let mut keys: Vec<&String> = g.keys().chain(w.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                if k == "_meta" {
                    let (gh, wh) = (&g[k]["hostvars"], &w[k]["hostvars"]);
                    for (h, wv) in wh.as_object().unwrap() {
                        if gh.get(h) != Some(wv) {
                            failures.push(format!(
                                "{} host {h}: rb {}, ansible {wv}",
                                case.display(),
                                gh.get(h).unwrap_or(&Value::Null)
                            ));
                        }
                    }
                    for h in gh.as_object().unwrap().keys() {
                        if wh.get(h).is_none() {
                            failures.push(format!(
                                "{} host {h}: rb has variables, ansible none",
                                case.display()
                            ));
                        }
                    }
                    if g[k].get("profile") != w[k].get("profile") {
                        failures.push(format!("{} _meta.profile differs", case.display()));
                    }
                } else if g.get(k) != w.get(k) {
                    failures.push(format!(
                        "{} group {k}: rb {:?}, ansible {:?}",
                        case.display(),
                        g.get(k),
                        w.get(k)
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases().len(),
        failures.join("\n")
    );
}

#[test]
fn pattern_host_sets_equal_ansible() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in cases() {
        let inv = load(&case);
        let want = read_json(&case.join("expected/hosts.json"));
        for (pattern, hosts) in want.as_object().unwrap() {
            checked += 1;
            let got = match inv.select(pattern) {
                Err(_) => Value::String("ERROR".into()),
                Ok(sel) => {
                    let mut names: Vec<String> = sel
                        .hosts
                        .iter()
                        .map(|&i| inv.hosts[i].name.clone())
                        .collect();
                    names.sort();
                    serde_json::json!(names)
                }
            };
            if &got != hosts {
                failures.push(format!(
                    "{} `{pattern}`: rb {got}, ansible {hosts}",
                    case.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} patterns");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `rb inventory --host NAME` is `ansible-inventory --host NAME`: the host's merged
/// variables, which `--list` records under `_meta.hostvars` (a host without variables is
/// absent there and `{}` here).
#[test]
fn host_output_equals_ansible_inventory_host() {
    let mut checked = 0;
    for case in cases() {
        let inv = load(&case);
        let want = read_json(&case.join("expected/list.json"));
        for h in inv.hosts.iter().filter(|h| !h.implicit) {
            let expected = want["_meta"]["hostvars"]
                .get(&h.name)
                .cloned()
                .unwrap_or_else(|| serde_json::json!({}));
            assert_eq!(
                inv.host_json(&h.name).unwrap(),
                expected,
                "{} host {}",
                case.display(),
                h.name
            );
            checked += 1;
        }
        assert!(inv.host_json("no-such-host-anywhere").is_err());
    }
    assert!(checked > 100, "only {checked} hosts");
}
