//! docs/reference.md: every function documented, every example run and checked.

use rb::docs::{reference_markdown, EXAMPLE_INVENTORY, FUNCTIONS};
use rb::{Event, Runtime};
use std::sync::{Arc, Mutex};

/// The workspace's root folder (docs/, tests/ live there).
fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_example(example: &str) -> String {
    let logs = Arc::new(Mutex::new(String::new()));
    let l = logs.clone();
    let inventory = rb::inventory::Inventory::parse_ini("examples.ini", EXAMPLE_INVENTORY).unwrap();
    let mut b = Runtime::builder()
        .inventory(inventory)
        .check_mode(example.starts_with("// --check\n"));
    // `// --limit PATTERN` on the first line: the example runs under --limit.
    if let Some(rest) = example.strip_prefix("// --limit ") {
        b = b.limit(rest.lines().next().unwrap_or_default());
    }
    let rt = b
        .on_event(move |e| {
            // As `rb run` prints them: a host's lines prefixed with its name, warnings
            // marked (the binary's printer), so the reference shows what a reader sees.
            if let Event::Log { host, level, msg } = e {
                let host = if host == "local" {
                    String::new()
                } else {
                    format!("{host} | ")
                };
                let warn = if *level == rb::Level::Warn {
                    "warning: "
                } else {
                    ""
                };
                l.lock().unwrap().push_str(&format!("{host}{warn}{msg}\n"));
            }
        })
        .build()
        .unwrap();
    let result = rt.run_script("example.rhai", example);
    let mut out = logs.lock().unwrap().clone();
    match result {
        Ok(v) if v.is_unit() => {}
        Ok(v) if v.is_string() => out.push_str(&v.into_string().unwrap()),
        Ok(v) => out.push_str(&v.to_string()),
        Err(d) => out.push_str(&format!("error: {}", d.message)),
    }
    out
}

#[test]
fn every_example_gives_its_documented_output() {
    let mut failures = Vec::new();
    for f in FUNCTIONS {
        let got = run_example(f.example);
        let ok = match f.output.strip_suffix('…') {
            Some(prefix) => got.starts_with(prefix),
            None => got == f.output,
        };
        if !ok {
            failures.push(format!(
                "{}:\n  example: {}\n  want: {:?}\n  got:  {got:?}",
                f.name, f.example, f.output
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_md_is_generated_from_the_table() {
    let path = root().join("docs/reference.md");
    let want = reference_markdown();
    if std::env::var_os("RB_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/reference.md is stale: run RB_BLESS=1 cargo test -p rb-lang --test reference"
    );
}

#[test]
fn every_registered_function_is_documented() {
    let rt = Runtime::builder().build().unwrap();
    let mut engine = rb::rhai::Engine::new_raw();
    let _reg = Runtime::builder().register_into(&mut engine).unwrap();
    drop(rt);
    let documented: String = FUNCTIONS
        .iter()
        .map(|f| format!("{} {} ", f.name, f.signature))
        .collect();
    let mut missing = Vec::new();
    for sig in engine.gen_fn_signatures(false) {
        let name = sig.split('(').next().unwrap().trim();
        let name = name.strip_prefix("get$").unwrap_or(name);
        // Operators, conversions, and indexing (documented as `list[i]`).
        if matches!(
            name,
            "to_string" | "to_debug" | "+" | "==" | "!=" | "index$get$"
        ) {
            continue;
        }
        let word =
            regex::Regex::new(&format!(r"(^|[^\w]){}([^\w]|$)", regex::escape(name))).unwrap();
        if !word.is_match(&documented) {
            missing.push(sig);
        }
    }
    assert!(missing.is_empty(), "undocumented functions: {missing:?}");
}
