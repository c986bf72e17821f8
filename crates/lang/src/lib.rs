//! rb: runbooks for people who operate clusters, on the Rhai scripting language.
//!
//! The embedding API in three steps (see docs/embedding.md and examples/embed.rs):
//!
//! ```no_run
//! let rt = rb::Runtime::builder()
//!     .var("greeting", "hello")
//!     .on_event(|e| eprintln!("{e:?}"))
//!     .build()
//!     .unwrap();
//! let out = rt.run_script("inline", r#"vars.greeting + " from " + sh("hostname").out"#).unwrap();
//! println!("{out}");
//! ```

// `Diagnostic`, the error people read, is returned once per run or call; boxing it would
// only add noise at every `?`.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

pub mod adhoc;
mod api;
mod context;
mod diagnostics;
mod engine;
mod errors;
mod host;
/// Ansible inventories (the `rb-inventory` crate).
pub use inventory;
/// kubectl's JSONPath templates (the `kubepath` crate).
pub use kubepath;
/// The event stream (the `rb-core` crate).
pub use rb_core::report;
mod run;
mod stdlib;
pub mod tasks;
mod value;
/// Transports: local and ssh (the `rb-core` crate).
pub use rb_core::transport;

pub use api::hosts::{select as select_hosts, HostList};
pub use api::json::to_value as to_json_value;
pub use api::shell::CmdResult;
pub use context::Ctx;
pub use diagnostics::Diagnostic;
pub use host::Host;
pub use report::{Event, EventSink, Level};
pub use rhai;

/// The documentation table behind docs/reference.md, docs/stdlib.md and the REPL's `:help`.
pub mod docs {
    pub use crate::api::docs::{
        reference_markdown, stdlib_docs, stdlib_markdown, FnDoc, EXAMPLE_INVENTORY, FUNCTIONS,
        GROUPS,
    };
}

use report::{Emitter, Secrets};
use rhai::{Dynamic, Engine, Map, Scope};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// The default operation limit of a run: far more than any real runbook takes (seconds to
/// minutes of pure script work), so that a loop that never ends stops with an error.
pub const DEFAULT_MAX_OPERATIONS: u64 = 1_000_000_000;

/// The default output limit of one command (stdout and stderr together): 256 MiB, more than
/// any command whose output a runbook should hold in memory, far below what would exhaust it.
pub const DEFAULT_MAX_OUTPUT: usize = 256 * 1024 * 1024;
/// The default most output the commands of a run running at once may hold together.
pub const DEFAULT_MAX_OUTPUT_TOTAL: usize = 1024 * 1024 * 1024;

/// Configures a [`Runtime`].
pub struct RuntimeBuilder {
    vars: Map,
    check_mode: bool,
    diff: bool,
    inventory: Option<inventory::Inventory>,
    limit: Option<String>,
    seed: Option<u64>,
    forks: Option<usize>,
    max_operations: u64,
    max_output: usize,
    max_output_total: usize,
    tasks: tasks::TaskFilter,
    become_: host::privilege::BecomeDefaults,
    become_password: Option<String>,
    verbosity: u8,
    ssh: transport::SshOptions,
    sinks: Vec<EventSink>,
    handle: Option<tokio::runtime::Handle>,
    cancel: CancellationToken,
}

/// A ready-to-run rb: an engine with rb's API, the I/O runtime, and the event stream.
///
/// Runs block the calling thread. Call them from a plain thread, never from inside an async
/// task (use `tokio::task::spawn_blocking` there).
pub struct Runtime {
    engine: Engine,
    ctx: Arc<Ctx>,
    base_dir: PathBuf,
    _tokio: Option<tokio::runtime::Runtime>,
}

/// rb's context for registering into an engine the caller owns (see [`RuntimeBuilder::register_into`]).
pub struct Registration {
    /// The run's shared context, which rb's functions in your engine use.
    pub ctx: Arc<Ctx>,
    _tokio: Option<tokio::runtime::Runtime>,
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder {
            vars: Map::new(),
            check_mode: false,
            diff: false,
            inventory: None,
            limit: None,
            seed: None,
            forks: None,
            max_operations: DEFAULT_MAX_OPERATIONS,
            max_output: DEFAULT_MAX_OUTPUT,
            max_output_total: DEFAULT_MAX_OUTPUT_TOTAL,
            tasks: tasks::TaskFilter::default(),
            become_: Default::default(),
            become_password: None,
            verbosity: 0,
            ssh: transport::SshOptions::default(),
            sinks: Vec::new(),
            handle: None,
            cancel: CancellationToken::new(),
        }
    }
}

/// Parse a `-e key=value` value: integers and true/false become numbers and booleans,
/// `{...}`/`[...]` are parsed as JSON, everything else stays a string (so `1.10` is not 1.1).
pub fn parse_cli_value(v: &str) -> Dynamic {
    if let Ok(i) = v.parse::<i64>() {
        if !(v.starts_with('+') || (v.len() > 1 && v.starts_with('0'))) {
            return i.into();
        }
    }
    match v {
        "true" => return true.into(),
        "false" => return false.into(),
        _ => {}
    }
    if v.starts_with('{') || v.starts_with('[') {
        if let Ok(d) = api::json::parse(v) {
            return d;
        }
    }
    v.into()
}

impl RuntimeBuilder {
    /// Set one variable, visible to runbooks as `vars.NAME`.
    pub fn var(mut self, name: &str, value: impl Into<Dynamic>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Set variables from a JSON object (as `--vars file.json` does).
    pub fn vars_json(mut self, json: &serde_json::Value) -> Result<Self, Diagnostic> {
        let serde_json::Value::Object(m) = json else {
            return Err(Diagnostic::plain("variables must be a JSON object", 2));
        };
        for (k, v) in m {
            self.vars.insert(k.into(), api::json::from_value(v.clone()));
        }
        Ok(self)
    }

    /// Check mode: mutating commands are reported, not run.
    pub fn check_mode(mut self, on: bool) -> Self {
        self.check_mode = on;
        self
    }

    /// `--diff`: report file changes as unified diffs.
    pub fn diff(mut self, on: bool) -> Self {
        self.diff = on;
        self
    }

    /// The hosts runbooks can select with `hosts(pattern)` (default: just `localhost`).
    pub fn inventory(mut self, inv: inventory::Inventory) -> Self {
        self.inventory = Some(inv);
        self
    }

    /// Narrow every host selection to this pattern (`--limit`).
    pub fn limit(mut self, pattern: &str) -> Self {
        self.limit = Some(pattern.to_string());
        self
    }

    /// The seed `shuffle` uses when a runbook gives none (`--seed`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// How many Rhai operations a run may take before it stops with an error (0: no
    /// limit). Default [`DEFAULT_MAX_OPERATIONS`].
    pub fn max_operations(mut self, n: u64) -> Self {
        self.max_operations = n;
        self
    }

    /// The most bytes one command may print (stdout and stderr together) before it is
    /// killed and its call fails (0: no limit). Default [`DEFAULT_MAX_OUTPUT`].
    pub fn max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// The most output the run's commands running at once may hold together (0: no
    /// limit): the one past it is killed and its call fails. Default
    /// [`DEFAULT_MAX_OUTPUT_TOTAL`].
    pub fn max_output_total(mut self, bytes: usize) -> Self {
        self.max_output_total = bytes;
        self
    }

    /// Which tasks run (`--tags`, `--skip-tags`, `--start-at-task`).
    pub fn tasks(mut self, filter: tasks::TaskFilter) -> Self {
        self.tasks = filter;
        self
    }

    /// Run every inventory host's commands and file operations as another user through
    /// sudo (`--become`, `--become-user`; `user` None means root), unless a host's
    /// `ansible_become*` variables or an operation's own options say otherwise.
    pub fn become_all(mut self, enabled: bool, user: Option<String>) -> Self {
        self.become_.enabled = enabled;
        self.become_.user = user;
        self
    }

    /// The sudo password for hosts whose inventory gives none (`-K`). It is a secret: it
    /// never appears in events or messages.
    pub fn become_password(mut self, password: impl Into<String>) -> Self {
        self.become_password = Some(password.into());
        self
    }

    /// How much to report (`-v` = 1...): from 1 on, every command's output is emitted as a
    /// `cmd_output` event (never for `no_log` commands).
    pub fn verbosity(mut self, level: u8) -> Self {
        self.verbosity = level;
        self
    }

    /// The most hosts an `on(...)` runs at once when it sets no `forks` (`-f/--forks`).
    pub fn forks(mut self, forks: usize) -> Self {
        self.forks = Some(forks.max(1));
        self
    }

    /// How to reach SSH hosts: config file, connect timeout, control directory.
    pub fn ssh_options(mut self, opts: transport::SshOptions) -> Self {
        self.ssh = opts;
        self
    }

    /// Receive every event through a callback (called on the thread that emitted it).
    pub fn on_event(mut self, f: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.sinks.push(Arc::new(f));
        self
    }

    /// Receive every event through a channel.
    pub fn events_channel(mut self) -> (Self, mpsc::Receiver<Event>) {
        let (tx, rx) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        self.sinks.push(Arc::new(move |e: &Event| {
            let _ = tx.lock().map(|t| t.send(e.clone()));
        }));
        (self, rx)
    }

    /// Use the caller's tokio runtime instead of starting one.
    pub fn tokio_handle(mut self, handle: tokio::runtime::Handle) -> Self {
        self.handle = Some(handle);
        self
    }

    /// Cancel the run from outside (rb's CLI wires Ctrl-C to this).
    pub fn cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    fn context(self) -> Result<Registration, Diagnostic> {
        let (handle, tokio) = match self.handle {
            Some(h) => (h, None),
            None => {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        Diagnostic::plain(format!("cannot start the I/O runtime: {e}"), 1)
                    })?;
                (rt.handle().clone(), Some(rt))
            }
        };
        let mut emitter = Emitter::new(Secrets::with_encoders(api::secret_encoders()));
        for s in self.sinks {
            emitter.add_sink(s);
        }
        let inventory = self
            .inventory
            .unwrap_or_else(inventory::Inventory::localhost);
        let limit = match &self.limit {
            None => None,
            Some(p) => {
                let sel = inventory
                    .select(p)
                    .map_err(|e| Diagnostic::plain(format!("--limit {p}: {e}"), 2))?;
                let mut set = vec![false; inventory.hosts.len()];
                for i in sel.hosts {
                    set[i] = true;
                }
                Some(set)
            }
        };
        let (mut hosts, warnings) =
            host::hosts_of(&inventory, Arc::new(self.ssh), limit.as_deref())
                .map_err(|e| Diagnostic::plain(e, 2))?;
        // Extra variables (-e, --vars) win over every inventory variable, as in Ansible.
        if !self.vars.is_empty() {
            for h in &mut hosts {
                let mut m = (*h.vars).clone();
                for (k, v) in &self.vars {
                    m.insert(k.clone(), v.clone());
                }
                h.vars = Arc::new(m);
            }
        }
        // Become passwords print as `********` wherever they go, from the first event on.
        for h in &mut hosts {
            let found: Vec<_> = host::privilege::PASSWORD_VARS
                .iter()
                .filter(|n| {
                    h.vars
                        .get(**n)
                        .is_some_and(|v| !v.is_unit() && !v.is::<report::Secret>())
                })
                .collect();
            if !found.is_empty() {
                let mut m = (*h.vars).clone();
                for n in found {
                    let text = m[*n].to_string();
                    m.insert((*n).into(), Dynamic::from(emitter.secrets().add(&text)));
                }
                h.vars = Arc::new(m);
            }
        }
        let mut become_defaults = self.become_;
        if let Some(pw) = &self.become_password {
            become_defaults.password = Some(emitter.secrets().add(pw));
        }
        let ctx = Arc::new(Ctx {
            handle,
            emitter,
            cancel_slot: std::sync::Mutex::new(self.cancel),
            check_mode: self.check_mode,
            diff: self.diff,
            vars: Dynamic::from_map(self.vars).into_shared(),
            local: host::Host::local(),
            inventory,
            hosts,
            limit,
            seed: self.seed,
            forks: self.forks,
            max_operations: self.max_operations,
            max_output: (self.max_output > 0).then_some(self.max_output),
            output_pool: (self.max_output_total > 0)
                .then(|| transport::OutputPool::new(self.max_output_total)),
            tasks: self.tasks,
            become_defaults,
            verbosity: self.verbosity,
            failed: Default::default(),
            runbook: Default::default(),
            unreachable: Default::default(),
        });
        for w in warnings {
            ctx.log(Level::Warn, &w);
        }
        Ok(Registration { ctx, _tokio: tokio })
    }

    /// Register rb's functions into an engine you own. Keep the returned value alive as
    /// long as the engine runs scripts: it owns the I/O runtime.
    pub fn register_into(self, engine: &mut Engine) -> Result<Registration, Diagnostic> {
        let reg = self.context()?;
        engine::register(engine, &reg.ctx);
        Ok(reg)
    }

    /// A runtime with rb's engine: fails on an inventory rb must refuse, or when the I/O
    /// runtime cannot start.
    pub fn build(self) -> Result<Runtime, Diagnostic> {
        let reg = self.context()?;
        let base_dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let engine = engine::build(&reg.ctx, &base_dir);
        Ok(Runtime {
            engine,
            ctx: reg.ctx,
            base_dir,
            _tokio: reg._tokio,
        })
    }
}

impl Runtime {
    /// Configure a runtime: variables, inventory, check mode, events, ssh.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Evaluate one REPL entry in a persistent scope. Functions defined by earlier entries
    /// (kept in `functions`) and modules they imported stay available.
    pub fn eval_in_scope(
        &mut self,
        name: &str,
        text: &str,
        scope: &mut Scope<'static>,
        functions: &mut rhai::AST,
    ) -> Result<Dynamic, Diagnostic> {
        *self.ctx.runbook.lock().unwrap_or_else(|e| e.into_inner()) = name.to_string();
        self.ctx.emitter.reset_recap();
        let ast = self.compile_with(name, text, Some(functions))?;
        let combined = functions.merge(&ast);
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(scope, &combined)
            .map_err(|e| self.runtime_diagnostic(name, &e));
        if result.is_ok() {
            *functions = functions.merge(&ast.clone_functions_only());
            // Imports last beyond the entry: register them as static modules.
            let imports = imports_of(&ast);
            for (path, alias, pos) in imports {
                if let Ok(m) =
                    self.engine
                        .module_resolver()
                        .resolve(&self.engine, Some(name), &path, pos)
                {
                    self.engine.register_static_module(alias, m);
                }
            }
        }
        result.map_err(|mut d| {
            self.blame(&d);
            d.message = self.ctx.secrets().redact(&d.message);
            d
        })
    }

    /// End the last `eval_in_scope`: its progress lines end here, and when it fanned out
    /// (`on`, `run_once`) the recap lists what it did on each host. A single command
    /// outside `on` shows its own result and needs no table.
    pub fn recap_entry(&self) {
        let rows = self.ctx.emitter.recap();
        if rows.is_empty() {
            return;
        }
        let hosts = if self.ctx.emitter.fanned_out() {
            rows
        } else {
            Vec::new()
        };
        self.ctx.emit(Event::Recap { hosts });
    }

    /// A runtime error for people: position, task path, and 130 when interrupted.
    fn runtime_diagnostic(&self, name: &str, e: &rhai::EvalAltResult) -> Diagnostic {
        let mut d = Diagnostic::from_eval(name, e);
        if let Some(task) = context::take_failed_task() {
            d.message = format!(
                "{} › {}: {}",
                context::current_host(),
                task.join(" › "),
                d.message
            );
        }
        if self.ctx.is_cancelled() {
            d.exit_code = 130;
        } else if errors::is_usage(e) {
            d.exit_code = 2;
        }
        d
    }

    /// The host whose command raised the error `d` that ended the run (or REPL entry), if
    /// a command did: it counts as failed (or unreachable) in the recap.
    fn blame(&self, d: &Diagnostic) -> Option<String> {
        let fault = d.fault?;
        let host = match fault.host {
            Some(i) => self.ctx.hosts.get(i)?.name.to_string(),
            None => "local".to_string(),
        };
        if !self.ctx.has_failed(&host) {
            self.ctx.emitter.mark_failed(&host, fault.unreachable);
        }
        Some(host)
    }

    /// The engine, for callers who want to register more functions.
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// What this runtime's runs share: hosts, variables, failures, events.
    pub fn context(&self) -> &Arc<Ctx> {
        &self.ctx
    }

    /// Compile a runbook file without running it (what `rb check` does). Imports are
    /// resolved, so a missing or broken module is reported too.
    pub fn check_file(&mut self, path: &Path) -> Result<(), Diagnostic> {
        let (name, text) = read_runbook(path)?;
        self.point_imports_at(path);
        self.compile(&name, &text).map(|_| ())
    }

    /// The tasks a runbook names (`rb run --list-tasks`), in the order they are written,
    /// from its text alone: nothing runs.
    pub fn list_tasks(&mut self, path: &Path) -> Result<Vec<tasks::ListedTask>, Diagnostic> {
        let (name, text) = read_runbook(path)?;
        self.point_imports_at(path);
        let ast = self.compile(&name, &text)?;
        Ok(tasks::list(&ast, &text))
    }

    fn point_imports_at(&mut self, path: &Path) {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.base_dir.clone());
        self.engine
            .set_module_resolver(engine::modules::Resolver::new(dir));
    }

    /// Compile a runbook and load every module it imports, so a missing or broken module
    /// is a compile error (exit 2) with the import's position, before anything runs.
    fn compile(&self, name: &str, text: &str) -> Result<rhai::AST, Diagnostic> {
        self.compile_with(name, text, None)
    }

    /// `compile`, knowing the functions an earlier REPL entry defined.
    fn compile_with(
        &self,
        name: &str,
        text: &str,
        earlier: Option<&rhai::AST>,
    ) -> Result<rhai::AST, Diagnostic> {
        let mut ast = self
            .engine
            .compile(text)
            .map_err(|e| Diagnostic::from_parse(name, &e))?;
        ast.set_source(name.to_string());
        let imports = imports_of(&ast);
        // What each alias offers, so `alias::typo()` is a compile error too.
        let mut modules = engine::calls::ModuleFns::new();
        for (path, alias, pos) in imports {
            let m = self
                .engine
                .module_resolver()
                .resolve(&self.engine, Some(name), &path, pos)
                .map_err(|e| Diagnostic {
                    exit_code: 2,
                    ..Diagnostic::from_eval(name, &e)
                })?;
            if !alias.is_empty() {
                modules.insert(alias, engine::calls::public_fns(&m));
            }
        }
        engine::calls::check(&self.engine, name, &ast, earlier, &modules)?;
        Ok(ast)
    }

    /// Run a runbook file; imports resolve beside it.
    pub fn run_file(&mut self, path: &Path) -> Result<Dynamic, Diagnostic> {
        // A runbook that cannot be read is reported like any other error of the run.
        let name = path.display().to_string();
        let text = read_runbook(path).map(|(_, text)| text);
        self.point_imports_at(path);
        self.run_named(&name, text.as_deref().map_err(Clone::clone))
    }

    /// Run a script given as a string; imports resolve in the current directory.
    pub fn run_script(&self, name: &str, text: &str) -> Result<Dynamic, Diagnostic> {
        self.run_named(name, Ok(text))
    }

    /// Compile and evaluate a runbook as one framed run.
    fn run_named(&self, name: &str, text: Result<&str, Diagnostic>) -> Result<Dynamic, Diagnostic> {
        self.framed(name, true, || {
            text.and_then(|text| self.compile(name, text))
                .and_then(|ast| {
                    self.engine
                        .eval_ast_with_scope::<Dynamic>(&mut Scope::new(), &ast)
                        .map_err(|e| self.runtime_diagnostic(name, &e))
                })
        })
    }

    /// One run as the event stream tells it: `run_start`, whatever `body` does, an `error`
    /// if it failed, the recap and `run_end` with the exit code. With
    /// `fail_on_failed_hosts`, hosts that failed make the run an error; without, the run
    /// stands but still exits 1.
    pub(crate) fn framed<T>(
        &self,
        name: &str,
        fail_on_failed_hosts: bool,
        body: impl FnOnce() -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        let started = Instant::now();
        *self.ctx.runbook.lock().unwrap_or_else(|e| e.into_inner()) = name.to_string();
        self.ctx.emit(Event::RunStart {
            runbook: name.to_string(),
            check_mode: self.ctx.check_mode,
        });
        let result = body();
        let failed: Vec<String> = self
            .ctx
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        // Hosts that failed inside `on(...)` fail the run even when the runbook went on.
        let result = result.and_then(|v| {
            if failed.is_empty() || !fail_on_failed_hosts {
                return Ok(v);
            }
            Err(Diagnostic::plain(
                format!("{} host(s) failed: {}", failed.len(), failed.join(", ")),
                1,
            ))
        });
        let result = result.map_err(|mut d| {
            let host = self.blame(&d).unwrap_or_else(context::current_host);
            d.message = self.ctx.secrets().redact(&d.message);
            self.ctx.emit(Event::Error {
                host,
                message: d.to_string_without_location(),
                file: d.file.clone(),
                line: d.line,
                col: d.col,
            });
            d.reported = true;
            d
        });
        self.close_connections();
        self.ctx.emit(Event::Recap {
            hosts: self.ctx.emitter.recap(),
        });
        // Without `fail_on_failed_hosts` the run stands when hosts failed, but it did not succeed.
        let exit_code = match &result {
            Err(d) => d.exit_code,
            Ok(_) if !failed.is_empty() => 1,
            Ok(_) => 0,
        };
        self.ctx.emit(Event::RunEnd {
            ok: exit_code == 0,
            exit_code,
            duration: started.elapsed().as_secs_f64(),
        });
        result
    }
}

impl Runtime {
    /// Close every SSH master opened during the run.
    fn close_connections(&self) {
        self.ctx.block_on(async {
            for h in &self.ctx.hosts {
                h.transport.close().await;
            }
        });
    }
}

/// Every `import "path" as alias;` of a script: path, alias and position.
fn imports_of(ast: &rhai::AST) -> Vec<(String, String, rhai::Position)> {
    use rhai::{ASTNode, Expr, Stmt};
    let mut imports = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(x, pos))) = path.last() {
            if let Expr::StringConstant(s, _) = &x.0 {
                imports.push((s.to_string(), x.1.name.to_string(), *pos));
            }
        }
        true
    });
    imports
}

fn read_runbook(path: &Path) -> Result<(String, String), Diagnostic> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::plain(format!("cannot read runbook {name}: {e}"), 2))?;
    let text = utf8_text(&name, bytes)?;
    Ok((name, text))
}

/// A source file's text; bytes that are not UTF-8 are an error at their line and column.
/// A UTF-8 byte order mark (editors on Windows write one) is dropped.
pub(crate) fn utf8_text(name: &str, mut bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        Diagnostic {
            file: Some(name.to_string()),
            line: Some(line),
            col: Some(col),
            ..Diagnostic::plain("not valid UTF-8 here; save the file as UTF-8", 2)
        }
    })
}
