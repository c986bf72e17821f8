//! Jinja2 templates against ansible-core's template module: tests/templates/expected/ holds
//! what ansible-core 2.19 wrote for each template (recorded by tests/templates/record.sh);
//! rb must write the same bytes.

mod common;
use common::*;
use rb::inventory::Inventory;
use rb::Runtime;

fn render(rt: &Runtime, script: &str) -> String {
    match rt.run_script("templates.rhai", script) {
        Ok(v) => v.into_string().unwrap(),
        Err(d) => format!("error: {d}"),
    }
}

#[test]
fn templates_render_byte_for_byte_as_ansible_writes_them() {
    let dir = root().join("tests/templates");
    let rt = Runtime::builder().build().unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.extension().is_none_or(|e| e != "j2") || name == "hosts" {
            continue;
        }
        let script = format!(
            "let vars = parse_json(local.read({:?})); render_template({:?}, vars)",
            dir.join("vars.json"),
            path
        );
        let got = render(&rt, &script);
        let want = std::fs::read_to_string(dir.join(format!("expected/{name}.out"))).unwrap();
        if got != want {
            let out = std::env::temp_dir().join(format!("rb-template-{name}.out"));
            std::fs::write(&out, &got).unwrap();
            failures.push(format!(
                "{name}.j2 differs: diff tests/templates/expected/{name}.out {}",
                out.display()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} templates");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_host_template_sees_groups_hostvars_and_its_name() {
    let dir = root().join("tests/templates");
    let inv = Inventory::load(&[dir.join("inventory.ini").display().to_string()], None).unwrap();
    let rt = Runtime::builder().inventory(inv).build().unwrap();
    for h in ["etcd1", "w1.example.com"] {
        let got = render(
            &rt,
            &format!(
                "host({h:?}).render_template({:?}, #{{}})",
                dir.join("hosts.j2")
            ),
        );
        let want = std::fs::read_to_string(dir.join(format!("expected/hosts-{h}.out"))).unwrap();
        assert_eq!(got, want, "{h}");
    }
}

/// A `.j2` file is found beside the runbook or in its templates/ folder; an undefined
/// variable stops the run with the template's file and line, and nothing is written.
#[test]
fn template_files_and_undefined_variables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/app.conf.j2"),
        "# {{ inventory_hostname }}\nport={{ port }}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.j2"), "line one\nport={{ nope }}\n").unwrap();
    let out_file = dir.path().join("app.conf");
    let book = dir.path().join("run.rhai");
    std::fs::write(
        &book,
        format!(
            "import \"files\" as files;\nlet h = host(\"localhost\");\n\
             print(files::template(h, {out:?}, \"app.conf.j2\", #{{port: 2379}}, #{{}}));\n\
             files::template(h, {bad:?}, \"bad.j2\", #{{}}, #{{}});\n",
            out = out_file,
            bad = dir.path().join("never-written")
        ),
    )
    .unwrap();
    let out = rb().arg("run").arg(&book).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "# localhost\nport=2379\n"
    );
    let err = stderr(&out);
    assert!(
        err.contains("run.rhai:4:")
            && err.contains(&format!(
                "template {}:2: undefined variable in `nope`",
                dir.path().join("bad.j2").display()
            )),
        "{err}"
    );
    assert!(!dir.path().join("never-written").exists());
}
