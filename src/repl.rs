//! `rb repl`: the runbook language, interactively. Variables, functions and imports persist
//! across entries; a statement left open (a block, a closure, a string) continues on the
//! next line; Tab completes functions, variables, hosts and groups; history is kept in the
//! user's state directory. With stdin not a terminal it reads entries from stdin and prints
//! results without prompts.

use rb::docs::FUNCTIONS;
use rb::rhai::{Dynamic, Map, ParseErrorType, Scope, AST};
use rb::CmdResult;
use rb::{Diagnostic, Runtime};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper, Highlighter, Hinter};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Is this input an unfinished statement (so Enter continues on the next line)?
pub fn is_incomplete(text: &str) -> bool {
    if text.trim_start().starts_with(':') {
        return false;
    }
    let Err(e) = rb::rhai::Engine::new_raw().compile(text) else {
        return false;
    };
    match e.err_type() {
        ParseErrorType::BadInput(rb::rhai::LexError::UnterminatedString) => true,
        // A trailing operator (`let x = 1 +`): the input ended mid-expression. (Rhai says
        // the same of a finished `let f = |x| { .. }` without its `;`, which runs as is.)
        ParseErrorType::UnexpectedEOF => text.trim_end().ends_with([
            '+', '-', '*', '/', '%', '&', '|', '=', '<', '>', '!', '^', '.',
        ]),
        ParseErrorType::MissingToken(..) => {
            let lines: Vec<&str> = text.split('\n').collect();
            let (l, c) = (
                e.position().line().unwrap_or(0),
                e.position().position().unwrap_or(0),
            );
            l >= lines.len() && c > lines.last().map_or(0, |s| s.chars().count())
        }
        _ => false,
    }
}

#[derive(Helper, Highlighter, Hinter)]
struct ReplHelper {
    /// Function names, host and group names, commands: fixed for the session.
    fixed: Vec<String>,
    /// Variables of the session, refreshed after each entry.
    vars: Arc<Mutex<Vec<String>>>,
    /// What can follow `name.` for each variable (and `vars`, `local`): its properties,
    /// methods and map keys, refreshed after each entry.
    members: Arc<Mutex<std::collections::HashMap<String, Vec<String>>>>,
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || "_:-.".contains(c)))
            .map_or(0, |i| i + 1);
        let word = &line[start..pos];
        if word.is_empty() {
            return Ok((pos, Vec::new()));
        }
        // `r.ou` → the members of `r` that start with `ou`.
        if let Some((receiver, part)) = word.rsplit_once('.') {
            let members = self.members.lock().unwrap_or_else(|e| e.into_inner());
            let found = members
                .get(receiver)
                .into_iter()
                .flatten()
                .filter(|m| m.starts_with(part))
                .map(|m| Pair {
                    display: m.clone(),
                    replacement: m.clone(),
                })
                .collect();
            return Ok((pos - part.len(), found));
        }
        let vars = self.vars.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut found: Vec<String> = self
            .fixed
            .iter()
            .chain(vars.iter())
            .filter(|w| w.starts_with(word))
            .cloned()
            .collect();
        found.sort();
        found.dedup();
        Ok((
            start,
            found
                .into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: w,
                })
                .collect(),
        ))
    }
}

fn history_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("rb").join("history"))
}

/// A value as people want to read it. `text` prints what the other cases do not cover as
/// the language does (the engine's `to_string`: a HostList as its names, never a Rust
/// type name).
pub fn format_value(
    v: &Dynamic,
    hosts: &dyn Fn(&str) -> bool,
    text: &dyn Fn(&Dynamic) -> String,
) -> String {
    if v.is_unit() {
        return String::new();
    }
    if let Some(r) = v.read_lock::<CmdResult>() {
        let mut s = r.stdout.to_string();
        if !s.is_empty() && !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&r.stderr);
        if !r.stderr.is_empty() && !r.stderr.ends_with('\n') {
            s.push('\n');
        }
        if r.rc != 0 {
            s.push_str(&format!("(rc {})\n", r.rc));
        }
        return s;
    }
    if let Some(s) = v.read_lock::<rb::rhai::ImmutableString>() {
        let mut s = s.to_string();
        if !s.ends_with('\n') {
            s.push('\n');
        }
        return s;
    }
    if let Some(m) = v.read_lock::<Map>() {
        // The result of on(...): one row per host.
        if !m.is_empty() && m.keys().all(|k| hosts(k)) {
            let w = m.keys().map(|k| k.len()).max().unwrap_or(4);
            let mut s = String::new();
            for (host, val) in m.iter() {
                let text = match val.read_lock::<Map>() {
                    Some(e) if e.contains_key("failed") => {
                        let what = if e
                            .get("unreachable")
                            .is_some_and(|u| u.as_bool().unwrap_or(false))
                        {
                            "UNREACHABLE"
                        } else {
                            "FAILED"
                        };
                        format!(
                            "{what}: {}",
                            e.get("error").map(|e| e.to_string()).unwrap_or_default()
                        )
                    }
                    _ => format_value(val, &|_| false, text).trim_end().to_string(),
                };
                let mut lines = text.lines();
                s.push_str(&format!("{host:<w$}  {}\n", lines.next().unwrap_or("")));
                for l in lines {
                    s.push_str(&format!("{:<w$}  {l}\n", ""));
                }
            }
            return s;
        }
    }
    if v.is_map() || v.is_array() {
        let json = rb::to_json_value(v);
        return format!(
            "{}\n",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    }
    if v.is::<rb::report::Secret>() {
        return format!("{}\n", rb::report::REDACTED);
    }
    format!("{}\n", text(v))
}

pub struct Repl {
    rt: Runtime,
    scope: Scope<'static>,
    functions: AST,
    vars: Arc<Mutex<Vec<String>>>,
    members: Arc<Mutex<std::collections::HashMap<String, Vec<String>>>>,
    name: String,
}

impl Repl {
    pub fn new(rt: Runtime, name: String) -> Repl {
        Repl {
            rt,
            scope: Scope::new(),
            functions: AST::empty(),
            vars: Arc::default(),
            members: Arc::default(),
            name,
        }
    }

    fn is_host(&self, name: &str) -> bool {
        name == "local" || self.rt.context().inventory.index.contains_key(name)
    }

    /// Words Tab can complete that do not change during the session.
    fn fixed_words(&self) -> Vec<String> {
        let ctx = self.rt.context();
        let mut w: Vec<String> = self
            .rt
            .engine()
            .gen_fn_signatures(false)
            .iter()
            .filter_map(|s| s.split('(').next().map(|n| n.trim().to_string()))
            .filter(|n| !n.contains('$') && n.chars().next().is_some_and(|c| c.is_alphabetic()))
            .collect();
        w.extend(
            FUNCTIONS
                .iter()
                .map(|f| f.name.split(' ').next().unwrap_or("").to_string()),
        );
        w.extend(ctx.inventory.hosts.iter().map(|h| h.name.clone()));
        w.extend(ctx.inventory.groups.keys().cloned());
        w.extend(
            [
                ":help", ":hosts", ":vars", ":load", ":quit", "vars", "local", "let", "import",
                "print",
            ]
            .map(String::from),
        );
        w.retain(|s| !s.is_empty());
        w
    }

    fn refresh_vars(&self) {
        *self.vars.lock().unwrap_or_else(|e| e.into_inner()) =
            self.scope.iter().map(|(n, _, _)| n.to_string()).collect();
        let ctx = self.rt.context();
        let mut members: std::collections::HashMap<String, Vec<String>> = self
            .scope
            .iter()
            .map(|(n, _, v)| (n.to_string(), self.rt.members_of(&v)))
            .collect();
        members
            .entry("vars".into())
            .or_insert_with(|| self.rt.members_of(&ctx.vars));
        members
            .entry("local".into())
            .or_insert_with(|| self.rt.members_of(&Dynamic::from(ctx.local.clone())));
        *self.members.lock().unwrap_or_else(|e| e.into_inner()) = members;
    }

    /// Evaluate one entry; the result is printed by the caller.
    pub fn eval(&mut self, source: &str, text: &str) -> Result<Dynamic, Diagnostic> {
        let ctx = self.rt.context().clone();
        ctx.failed.lock().unwrap_or_else(|e| e.into_inner()).clear();
        ctx.renew_cancel();
        let out = self
            .rt
            .eval_in_scope(source, text, &mut self.scope, &mut self.functions);
        self.refresh_vars();
        out
    }

    /// Run a `:command`: `None` to quit, else whether it succeeded.
    fn command(&mut self, line: &str, out: &mut dyn Write) -> Option<bool> {
        let line = spelt_out(line).unwrap_or(line);
        let mut parts = line.trim().splitn(2, char::is_whitespace);
        let cmd = parts.next().unwrap_or("");
        let arg = parts.next().unwrap_or("").trim();
        match cmd {
            ":quit" | ":q" | ":exit" => return None,
            ":help" if arg.is_empty() => {
                let _ = writeln!(out, "Enter rb code (a statement left open continues on the next line). Commands: :help NAME, :hosts [PATTERN], :vars, :load FILE, :quit");
                let _ = write!(out, "{}", rb::docs::help_index());
            }
            ":help" => match rb::docs::help(arg) {
                Some(text) => {
                    let _ = write!(out, "{text}");
                }
                None => {
                    let _ = writeln!(out, "{}", rb::docs::no_help(arg));
                    return Some(false);
                }
            },
            ":hosts" => {
                // With no inventory, `all` is empty (as in Ansible): show the implicit
                // localhost, the one host there is.
                let only_implicit = self.rt.context().inventory.hosts.iter().all(|h| h.implicit);
                let pattern = match (arg.is_empty(), only_implicit) {
                    (false, _) => arg,
                    (true, true) => "localhost",
                    (true, false) => "all",
                };
                match rb::select_hosts(self.rt.context(), pattern) {
                    Ok(list) => {
                        for h in list.0 {
                            let _ = writeln!(out, "{}  {}", h.name, h.addr);
                        }
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return Some(false);
                    }
                }
            }
            ":vars" => {
                let vars = rb::to_json_value(&self.rt.context().vars);
                let mut text = format!(
                    "vars = {}\n",
                    serde_json::to_string_pretty(&vars).unwrap_or_default()
                );
                for (name, _, value) in self.scope.iter() {
                    let shown = format_value(&value, &|_| false, &|v| self.text(v));
                    text.push_str(&format!("{name} = {}\n", shown.trim_end()));
                }
                let _ = write!(out, "{}", self.rt.context().secrets().redact(&text));
            }
            ":load" => match std::fs::read_to_string(arg) {
                Ok(text) => match self.eval(arg, &text) {
                    Ok(v) => {
                        let shown = format_value(&v, &|h| self.is_host(h), &|v| self.text(v));
                        let _ = write!(out, "{}", self.rt.context().secrets().redact(&shown));
                    }
                    Err(d) => {
                        eprintln!("error: {d}");
                        return Some(false);
                    }
                },
                Err(e) => {
                    eprintln!("error: cannot read {arg}: {e}");
                    return Some(false);
                }
            },
            other => {
                eprintln!("error: unknown command {other}; try :help");
                return Some(false);
            }
        }
        Some(true)
    }

    /// `v` as the language prints it: through the engine's `to_string` (rb's types register
    /// theirs), as `print` does.
    fn text(&self, v: &Dynamic) -> String {
        let mut scope = Scope::new();
        scope.push_dynamic("value", v.clone());
        self.rt
            .engine()
            .eval_with_scope::<String>(&mut scope, "value.to_string()")
            .unwrap_or_else(|_| v.to_string())
    }

    fn show(&self, result: Result<Dynamic, Diagnostic>, out: &mut dyn Write) -> bool {
        match result {
            Ok(v) => {
                // Results go through the run's redaction like every other output.
                let shown = format_value(&v, &|h| self.is_host(h), &|v| self.text(v));
                let shown = self.rt.context().secrets().redact(&shown);
                let _ = write!(out, "{shown}");
                let _ = out.flush();
                true
            }
            Err(d) => {
                let at = match (d.line, d.col) {
                    (Some(l), Some(c)) => format!(" at {l}:{c}"),
                    _ => String::new(),
                };
                eprintln!("error{at}: {}", d.to_string_without_location());
                false
            }
        }
    }

    /// The interactive loop. Returns the process exit code.
    pub fn interactive(mut self) -> i32 {
        // `vars.` and `local.` complete from the first prompt on.
        self.refresh_vars();
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .max_history_size(10_000)
            .map(|b| b.build())
            .unwrap_or_default();
        let mut ed: Editor<ReplHelper, rustyline::history::DefaultHistory> =
            match Editor::with_config(config) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("error: cannot start the line editor: {e}");
                    return 1;
                }
            };
        ed.set_helper(Some(ReplHelper {
            fixed: self.fixed_words(),
            vars: self.vars.clone(),
            members: self.members.clone(),
        }));
        let history = history_file();
        if let Some(h) = &history {
            let _ = ed.load_history(h);
        }
        let prompt = format!("rb[{}]> ", self.name);
        let mut out = std::io::stdout();
        println!(
            "rb {} REPL on {}: rb code, or :help (help), :hosts, :vars, :load FILE, :quit (exit, Ctrl-D); Tab completes",
            env!("CARGO_PKG_VERSION"),
            self.name
        );
        loop {
            match ed.readline(&prompt) {
                Ok(line) => {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let secrets = self.rt.context().secrets().clone();
                    let before = secrets.added();
                    let quit = if is_command(&line) {
                        self.command(&line, &mut out).is_none()
                    } else {
                        let r = self.eval("<entry>", &line);
                        // The recap first: it ends the entry's spinners, which would otherwise
                        // draw over the result and the next prompt.
                        self.rt.recap_entry();
                        self.show(r, &mut out);
                        false
                    };
                    // History is written after the entry ran: a line that made a secret
                    // (however it was spelt) or holds a known one is never kept on disk.
                    let keep = secrets.added() == before && secrets.redact(&line) == line;
                    if keep {
                        let _ = ed.add_history_entry(line.as_str());
                        if let Some(h) = &history {
                            if let Some(dir) = h.parent() {
                                let _ = std::fs::create_dir_all(dir);
                            }
                            let _ = ed.save_history(h);
                        }
                    }
                    if quit {
                        break;
                    }
                }
                // Ctrl-C at the prompt clears the line.
                Err(ReadlineError::Interrupted) => continue,
                Err(ReadlineError::Eof) => break,
                Err(e) => {
                    eprintln!("error: {e}");
                    return 1;
                }
            }
        }
        0
    }

    /// Entries from a pipe: no prompts, results on stdout, errors on stderr.
    pub fn scripted(mut self, input: impl BufRead) -> i32 {
        let mut out = std::io::stdout();
        let mut buf = String::new();
        let mut failed = false;
        let mut lines = input.lines();
        loop {
            let line = lines.next();
            let done = line.is_none();
            if let Some(Ok(l)) = line {
                if buf.is_empty() && l.trim().is_empty() {
                    continue;
                }
                if !buf.is_empty() {
                    buf.push('\n');
                }
                buf.push_str(&l);
                if is_incomplete(&buf) {
                    continue;
                }
            }
            if !buf.trim().is_empty() {
                let entry = std::mem::take(&mut buf);
                if is_command(&entry) {
                    match self.command(&entry, &mut out) {
                        None => break,
                        Some(ok) => failed |= !ok,
                    }
                } else {
                    let r = self.eval("<entry>", &entry);
                    self.rt.recap_entry();
                    failed |= !self.show(r, &mut out);
                }
            }
            if done {
                break;
            }
        }
        i32::from(failed)
    }
}

/// `help`, `exit` and `quit` typed alone (with or without `()`), as people type them in
/// every other REPL: the commands `:help` and `:quit`, not undefined variables.
fn spelt_out(line: &str) -> Option<&'static str> {
    match line.trim() {
        "help" | "help()" => Some(":help"),
        "exit" | "exit()" | "quit" | "quit()" => Some(":quit"),
        _ => None,
    }
}

/// A REPL command rather than rb code: `:name ...`, or a word `spelt_out` knows.
fn is_command(line: &str) -> bool {
    line.trim_start().starts_with(':') || spelt_out(line).is_some()
}

/// Start the REPL on a runtime: interactive on a terminal, scripted otherwise.
pub fn run(rt: Runtime, name: String) -> i32 {
    let repl = Repl::new(rt, name);
    if std::io::stdin().is_terminal() {
        repl.interactive()
    } else {
        repl.scripted(std::io::stdin().lock())
    }
}
