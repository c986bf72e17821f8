//! Jinja2 templates against ansible-core's template module: tests/templates/expected/ holds
//! what ansible-core 2.19 wrote for each template (recorded by tests/templates/record.sh);
//! rb must write the same bytes.

use rb::inventory::Inventory;
use rb::Runtime;

/// The workspace's root folder (docs/, tests/ live there).
fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

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

/// Variables keep their files' order into a host's template (dicts iterate so in Ansible):
/// what ansible-core 2.19 wrote for tests/templates/order/.
#[test]
fn a_host_template_iterates_dicts_in_their_files_order() {
    let dir = root().join("tests/templates");
    let inv = Inventory::load(
        &[dir.join("order/inventory.yml").display().to_string()],
        None,
    )
    .unwrap();
    let rt = Runtime::builder().inventory(inv).build().unwrap();
    let got = render(
        &rt,
        &format!(
            "host(\"node1\").render_template({:?}, #{{}})",
            dir.join("order/group_vars.j2")
        ),
    );
    let want = std::fs::read_to_string(dir.join("expected/order-node1.out")).unwrap();
    assert_eq!(got, want);
}

/// ansible-core's magic variables that mean something without a play, as 2.19 gives them:
/// `ansible_managed` ("Ansible managed", or ansible.cfg's), `inventory_file`/`inventory_dir`
/// (absolute), `ansible_check_mode`, `playbook_dir`.
#[test]
fn a_host_template_sees_ansible_magic_variables() {
    let dir = root().join("tests/templates");
    let file = std::path::absolute(dir.join("inventory.ini")).unwrap();
    let inv = Inventory::load(&[file.display().to_string()], None).unwrap();
    let text = "{{ ansible_managed }}|{{ inventory_file }}|{{ inventory_dir }}|{{ ansible_check_mode }}|{{ playbook_dir != '' }}";
    let script = format!("host(\"etcd1\").render_template({text:?}, #{{}})");
    let rt = Runtime::builder().inventory(inv.clone()).build().unwrap();
    let want = format!(
        "Ansible managed|{}|{}|False|True",
        file.display(),
        file.parent().unwrap().display()
    );
    assert_eq!(render(&rt, &script), want);
    let rt = Runtime::builder()
        .inventory(inv)
        .check_mode(true)
        .ansible_managed("managed by the platform team")
        .build()
        .unwrap();
    let got = render(&rt, &script);
    assert!(
        got.starts_with("managed by the platform team|") && got.contains("|True|"),
        "{got}"
    );
}

/// 32 templates of public roles (kubespray, k3s-ansible, githubixx's and geerlingguy's; each
/// names its origin in its first comment) with the roles' own defaults, rendered for node1
/// as ansible-core 2.19 wrote them (tests/templates/corpus/record.sh): byte for byte.
#[test]
fn real_roles_templates_render_as_ansible_writes_them() {
    let dir = root().join("tests/templates/corpus");
    let inv = Inventory::load(&[dir.join("inventory.yml").display().to_string()], None).unwrap();
    let rt = Runtime::builder().inventory(inv).build().unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "j2"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let script = format!("host(\"node1\").render_template({:?}, #{{}})", path);
        let got = render(&rt, &script);
        let want = std::fs::read_to_string(dir.join(format!("expected/{name}.out"))).unwrap();
        if got != want {
            let out = std::env::temp_dir().join(format!("rb-corpus-{name}.out"));
            std::fs::write(&out, &got).unwrap();
            failures.push(format!(
                "{name}.j2 differs: diff tests/templates/corpus/expected/{name}.out {}",
                out.display()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} templates");
    assert!(
        failures.is_empty(),
        "{} of {checked}:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// 133 one-line expressions (tests/templates/expressions/expressions.txt: operators, Jinja's
/// and Ansible's filters and tests, Python's methods) print what ansible-core 2.19 printed
/// for each (expected.txt, recorded by record.sh with ../vars.json).
#[test]
fn one_line_expressions_print_what_ansible_prints() {
    let dir = root().join("tests/templates/expressions");
    let exprs = std::fs::read_to_string(dir.join("expressions.txt")).unwrap();
    let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let rt = Runtime::builder().build().unwrap();
    let vars = root().join("tests/templates/vars.json");
    let mut failures = Vec::new();
    let lines: Vec<&str> = exprs.lines().collect();
    let wants: Vec<&str> = expected.lines().collect();
    assert_eq!(
        lines.len(),
        wants.len(),
        "record.sh writes one line per expression"
    );
    assert!(lines.len() >= 100, "only {} expressions", lines.len());
    for (expr, want) in lines.iter().zip(&wants) {
        let want: String = serde_json::from_str(want).unwrap();
        let template = format!("{{{{ {expr} }}}}");
        let script = format!(
            "let vars = parse_json(local.read({vars:?})); render_template({template:?}, vars)"
        );
        let got = render(&rt, &script);
        if got != want {
            failures.push(format!(
                "{expr}\n    ansible: {want:?}\n    rb:      {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        lines.len(),
        failures.join("\n")
    );
}

/// Inside `on(...)`, a template's `ansible_play_hosts` are that on's hosts and
/// `ansible_play_batch` its current batch, as ansible-core 2.19 gives them for a play with
/// `serial: 2` over a, b, c, d (`a,b,c,d|a,b|a,b,c,d|a,b` for the first batch).
#[test]
fn a_template_inside_on_sees_its_play_and_batch() {
    let inv = Inventory::parse_ini(
        "i.ini",
        "a ansible_connection=local\nb ansible_connection=local\nc ansible_connection=local\nd ansible_connection=local\n",
    )
    .unwrap();
    let rt = Runtime::builder().inventory(inv).build().unwrap();
    let script = r#"
        let t = "{{ ansible_play_hosts | join(',') }}|{{ ansible_play_batch | join(',') }}|{{ ansible_play_hosts_all | join(',') }}|{{ play_hosts | join(',') }}";
        let r = on(hosts("all"), #{serial: 2}, |h| h.render_template(t, #{}));
        `${r.a};${r.b};${r.c};${r.d}`
    "#;
    assert_eq!(
        render(&rt, script),
        "a,b,c,d|a,b|a,b,c,d|a,b;a,b,c,d|a,b|a,b,c,d|a,b;a,b,c,d|c,d|a,b,c,d|c,d;a,b,c,d|c,d|a,b,c,d|c,d"
    );
    // Outside on(...): no play, and the error says what to do.
    let got = render(
        &rt,
        r#"host("a").render_template("{{ ansible_play_hosts }}", #{})"#,
    );
    assert!(got.contains("inside on(...) they are its hosts"), "{got}");
}

/// A variable whose Jinja cannot be rendered is not in a template's variables: using it
/// fails with why.
#[test]
fn a_template_reading_an_unrendered_variable_fails_with_why() {
    let inv = Inventory::parse_yaml(
        "i.yml",
        "all:\n  hosts:\n    h1:\n      ansible_connection: local\n      x: \"{{ nope }}\"\n",
    )
    .unwrap();
    let rt = Runtime::builder().inventory(inv).build().unwrap();
    let got = render(&rt, r#"host("h1").render_template("{{ x }}", #{})"#);
    assert!(
        got.starts_with("error: ") && got.contains("variable `x` cannot be rendered"),
        "{got}"
    );
}
