//! The runbook compiler as a bounded fuzz target (run by `cargo test`; PROPTEST_CASES raises
//! the count): no runbook text makes `rb check` panic. Only compiled, never run.

use proptest::prelude::*;

fn runbook() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("let x = ".to_string()),
            Just("sh(\"true\")".to_string()),
            Just("on(hosts(\"all\"), |h| ".to_string()),
            Just("import \"net\" as net;".to_string()),
            Just("net::".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(";".to_string()),
            Just("\n".to_string()),
            Just("\"".to_string()),
            Just("#{a: 1}".to_string()),
            Just(".".to_string()),
            Just("fn f(a) { a }".to_string()),
            Just("||".to_string()),
            "[a-z_]{1,6}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn the_compiler_never_panics(text in runbook()) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("fuzz.rhai");
        std::fs::write(&f, &text).unwrap();
        let mut rt = rb::Runtime::builder().build().unwrap();
        let _ = rt.check_file(&f);
    }
}

/// Template text: literal runs, `{{ name }}` placeholders (some with no value), and stray
/// braces.
fn template() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{{ a }}".to_string()),
            Just("{{b}}".to_string()),
            Just("{{ missing }}".to_string()),
            Just("{{".to_string()),
            Just("}}".to_string()),
            Just("{".to_string()),
            Just("$".to_string()),
            Just("\\".to_string()),
            Just("`".to_string()),
            Just("\n".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..30,
    )
    .prop_map(|v| v.concat())
}

/// `text` as a Rhai string literal (every character but letters, digits and spaces
/// escaped; JSON's `\f` is no Rhai escape).
fn rhai_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&format!("\\U{:08x}", c as u32));
        }
    }
    out.push('"');
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// `files::render` (Jinja2) never panics: it renders, or fails naming the template and
    /// line. Text whose only Jinja syntax is `{{ a }}`/`{{b}}` placeholders renders with each
    /// replaced and everything else kept; an unknown placeholder is an undefined variable.
    #[test]
    fn templates_render_or_name_the_missing_value(text in template()) {
        let rt = rb::Runtime::builder().build().unwrap();
        let script = format!(
            "import \"files\" as files;\nfiles::render({}, #{{a: \"1\", b: 2}})",
            rhai_string(&text)
        );
        let placeholder = regex::Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}").unwrap();
        let unknown = placeholder
            .captures_iter(&text)
            .map(|c| c[1].to_string())
            .find(|n| n != "a" && n != "b");
        // Plain apart from placeholders: no other `{`/`}` that Jinja could read as syntax.
        // (Line breaks other than `\n` are Jinja's to normalize: left out of the oracle.)
        let plain = !placeholder.replace_all(&text, "").contains(['{', '}', '\r']);
        match rt.run_script("fuzz.rhai", &script) {
            Ok(v) => {
                prop_assert_eq!(&unknown, &None);
                if plain {
                    let want = placeholder.replace_all(&text, |c: &regex::Captures| {
                        if &c[1] == "a" { "1".to_string() } else { "2".to_string() }
                    });
                    prop_assert_eq!(v.into_string().unwrap(), want.into_owned());
                }
            }
            Err(d) => {
                prop_assert!(d.message.contains("template (inline):"), "{}", d.message);
                if plain {
                    let name = unknown.unwrap_or_default();
                    prop_assert!(
                        d.message.contains(&format!("undefined variable in `{name}`")),
                        "{}",
                        d.message
                    );
                }
            }
        }
    }
}
