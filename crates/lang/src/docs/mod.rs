//! The one source of every function's documentation: docs/reference.md is generated from
//! this table (a test keeps them equal), and a test runs every example and compares its
//! result with `output`.
//!
//! `output` is what the example produces: its `log`/`print` lines as `rb run` prints them
//! (`host | ` before a host's, `warning: ` before a warning; each ending in a newline)
//! followed by the final value (strings as they are, other values as Rhai prints them;
//! nothing for `()`). An output starting with `error: ` expects the example to fail with
//! that message; a trailing `…` makes it a prefix match.

mod functions;

pub use functions::{FnDoc, FUNCTIONS};

/// The reference's sections: key and title, in order.
pub const GROUPS: &[(&str, &str)] = &[
    ("commands", "Commands"),
    ("results", "Command results (CmdResult)"),
    ("regex", "Regular expressions"),
    ("json", "JSON, JSONPath and addresses"),
    ("waiting", "Waiting and retrying"),
    ("runbook", "Runbook essentials"),
    ("hosts", "Hosts"),
    ("fanout", "Fan-out"),
    ("files", "Files on hosts"),
    ("stdlib-net", "stdlib: net"),
];

/// The inventory the examples run with (`examples.ini`): hosts in groups, a child group, a
/// group variable and a host variable over it, all local so the examples need no lab.
pub const EXAMPLE_INVENTORY: &str = "\
[web]
web3 ansible_connection=local
web1 ansible_connection=local
web2 ansible_connection=local k8s_interface=wg0

[db]
db1 ansible_connection=local

[k8s:children]
web

[k8s:vars]
k8s_interface=eth0
";

/// docs/reference.md, generated.
pub fn reference_markdown() -> String {
    let mut s = String::from(
        "# rb language reference\n\n\
         Generated from `crates/lang/src/docs/functions.rs` (the same text `rb repl`'s `:help` shows); \
         `cargo test -p rb-lang --test reference` runs every example below and checks its output. \
         Regenerate with `RB_BLESS=1 cargo test -p rb-lang --test reference`.\n\n\
         Values are Rhai values (see the Rhai book for the language itself); JSON maps to \
         maps and arrays. Functions that fail raise a runbook error reported as \
         `file:line:col: message`.\n\n\
         The examples run with this inventory, `examples.ini` (local-connection hosts, so \
         each example really runs on every host it names); an example whose first line is \
         `// --check` runs as `rb run --check` would:\n\n```ini\n",
    );
    s.push_str(EXAMPLE_INVENTORY);
    s.push_str("```\n");
    for (group, title) in GROUPS {
        s.push_str(&format!("\n## {title}\n"));
        for f in FUNCTIONS.iter().filter(|f| f.group == *group) {
            s.push_str(&format!(
                "\n### `{}`\n\n`{}`\n\n{}\n\n```rhai\n{}\n```\n",
                f.name, f.signature, f.doc, f.example
            ));
            let out = f.output.trim_end_matches('\n');
            if let Some(err) = out.strip_prefix("error: ") {
                s.push_str(&format!("fails with:\n\n```text\n{err}\n```\n"));
            } else {
                s.push_str(&format!("gives:\n\n```text\n{out}\n```\n"));
            }
        }
    }
    s
}

/// One documented stdlib function, read from the module's `///` comments: the text, then
/// `/// example: CODE` and `/// gives: OUTPUT` (as `FnDoc::output`).
#[derive(Debug, Clone)]
pub struct StdlibDoc {
    /// The module's name (`import "NAME"`).
    pub module: &'static str,
    /// The function's name.
    pub name: String,
    /// `name(arg, ...)` as written.
    pub signature: String,
    /// The text of its `///` comment, without the example lines.
    pub doc: String,
    /// The `/// example:` code.
    pub example: String,
    /// The `/// gives:` output.
    pub gives: String,
}

/// Every public function of the embedded stdlib, in file order.
pub fn stdlib_docs() -> Vec<StdlibDoc> {
    let mut out = Vec::new();
    for (module, text) in crate::stdlib::STDLIB {
        let mut block: Vec<&str> = Vec::new();
        for line in text.lines() {
            if let Some(d) = line.strip_prefix("///") {
                block.push(d.strip_prefix(' ').unwrap_or(d));
                continue;
            }
            if let Some(rest) = line.strip_prefix("fn ") {
                let sig = rest.trim_end_matches('{').trim();
                let name = sig.split('(').next().unwrap_or("").to_string();
                let field = |p: &str| {
                    block
                        .iter()
                        .find_map(|l| l.strip_prefix(p))
                        .unwrap_or("")
                        .to_string()
                };
                out.push(StdlibDoc {
                    module,
                    signature: format!("{module}::{sig}"),
                    doc: block
                        .iter()
                        .filter(|l| !l.starts_with("example: ") && !l.starts_with("gives: "))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                    example: field("example: "),
                    gives: field("gives: "),
                    name,
                });
            }
            block.clear();
        }
    }
    out
}

/// docs/stdlib.md, generated from the modules themselves.
pub fn stdlib_markdown() -> String {
    let mut s = String::from(
        "# rb stdlib\n\n\
         Rhai modules embedded in rb (`stdlib/*.rhai`), imported with `import \"NAME\" as NAME;`. \
         Generated from the modules' own comments; `cargo test --test suite -- stdlib::` runs every example \
         on a lab host and checks what it gives (regenerate with `RB_BLESS=1`). In the examples `h` \
         is a Host (`host(\"rbh7\")`) and `ep` its etcd endpoint. Functions that change something \
         return whether they did, and probe with read-only commands, so runbooks built on them \
         are `--check` safe and report `changed=0` on a second run.\n",
    );
    for (module, text) in crate::stdlib::STDLIB {
        s.push_str(&format!("\n## {module}\n\n"));
        let intro: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.trim_start())
            .collect();
        if !intro.is_empty() {
            s.push_str(&format!("{}\n", intro.join(" ")));
        }
        for f in stdlib_docs().iter().filter(|f| f.module == *module) {
            s.push_str(&format!(
                "\n### `{}`\n\n{}\n\n```rhai\n{}\n```\n",
                f.signature, f.doc, f.example
            ));
            if !f.gives.is_empty() {
                s.push_str(&format!("gives `{}`\n", f.gives));
            }
        }
    }
    s
}

/// The help for `name`, as `rb doc NAME` and the REPL's `:help NAME` print it: a function
/// of the reference (`sh`, `out`, `stdout / stderr / out / err`), a stdlib module (`net`)
/// or one of its functions (`net::wait_port`). `None` when nothing has that name.
pub fn help(name: &str) -> Option<String> {
    let name = name.trim().trim_end_matches("()");
    let mut s = String::new();
    for f in FUNCTIONS.iter().filter(|f| {
        f.name == name
            || f.name.split(' ').next() == Some(name)
            || f.name.split(" / ").any(|n| n == name)
    }) {
        s.push_str(&format!(
            "{}\n  {}\n\n{}\n\nexample:\n  {}\n",
            f.name, f.signature, f.doc, f.example
        ));
        let o = f.output.trim_end_matches('\n');
        if !o.is_empty() {
            s.push_str(&format!("  ⇒ {}\n", o.replace('\n', "\n    ")));
        }
    }
    let stdlib = stdlib_docs();
    if let Some((module, text)) = crate::stdlib::STDLIB.iter().find(|(m, _)| *m == name) {
        let intro: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(str::trim_start)
            .collect();
        s.push_str(&format!(
            "module {module} (stdlib): import \"{module}\" as {module};\n\n{}\n\nfunctions:\n",
            intro.join(" ")
        ));
        for f in stdlib.iter().filter(|f| f.module == *module) {
            s.push_str(&format!("  {}\n", f.signature));
        }
    }
    for f in stdlib.iter().filter(|f| {
        name.split_once("::")
            .is_some_and(|(m, n)| m == f.module && n == f.name)
    }) {
        s.push_str(&format!(
            "{}\n\n{}\n\nexample:\n  {}\n",
            f.signature, f.doc, f.example
        ));
        if !f.gives.is_empty() {
            s.push_str(&format!("  ⇒ {}\n", f.gives));
        }
    }
    (!s.is_empty()).then_some(s)
}

/// Every name `help` knows, for did-you-mean and completion.
pub fn help_names() -> Vec<String> {
    let mut v: Vec<String> = FUNCTIONS
        .iter()
        .flat_map(|f| f.name.split(" / ").map(str::to_string))
        .collect();
    v.extend(crate::stdlib::STDLIB.iter().map(|(m, _)| m.to_string()));
    v.extend(
        stdlib_docs()
            .iter()
            .map(|f| format!("{}::{}", f.module, f.name)),
    );
    v
}

/// The list `rb doc` and `:help` print without a name: each section's functions, then the
/// stdlib's modules.
pub fn help_index() -> String {
    let mut s = String::new();
    for (group, title) in GROUPS {
        let names: Vec<&str> = FUNCTIONS
            .iter()
            .filter(|f| f.group == *group)
            .map(|f| f.name)
            .collect();
        s.push_str(&format!("{title}: {}\n", names.join(", ")));
    }
    let modules: Vec<&str> = crate::stdlib::STDLIB.iter().map(|(m, _)| *m).collect();
    s.push_str(&format!(
        "stdlib modules (import \"NAME\" as NAME;): {}\n",
        modules.join(", ")
    ));
    s
}

/// The error for a name `help` does not know, with the closest one.
pub fn no_help(name: &str) -> String {
    let names = help_names();
    format!(
        "no help for `{name}`{}; `rb doc` (or `:help`) lists every function and module",
        crate::options::did_you_mean(name, names.iter().map(String::as_str))
    )
}
