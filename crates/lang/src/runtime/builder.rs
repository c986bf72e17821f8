//! Configuring a run: variables, inventory and `--limit`, check mode, limits, events, ssh.
//! `context()` turns the settings into the run's shared [`Ctx`].

use crate::context::Ctx;
use crate::diagnostics::Diagnostic;
use crate::{api, engine, host, tasks};
use rb_core::report::{self, Emitter, Event, EventSink, Level, Secrets};
use rb_core::transport;
use rhai::{Dynamic, Engine, Map};
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The default operation limit of a run: far more than any real runbook takes (seconds to
/// minutes of pure script work), so that a loop that never ends stops with an error.
pub const DEFAULT_MAX_OPERATIONS: u64 = 1_000_000_000;

/// The default output limit of one command (stdout and stderr together): 256 MiB, more than
/// any command whose output a runbook should hold in memory, far below what would exhaust it.
pub const DEFAULT_MAX_OUTPUT: usize = 256 * 1024 * 1024;
/// The default most output the commands of a run running at once may hold together.
pub const DEFAULT_MAX_OUTPUT_TOTAL: usize = 1024 * 1024 * 1024;

/// rb's context for registering into an engine the caller owns (see [`RuntimeBuilder::register_into`]).
pub struct Registration {
    /// The run's shared context, which rb's functions in your engine use.
    pub ctx: Arc<Ctx>,
    pub(super) _tokio: Option<tokio::runtime::Runtime>,
}

/// Configures a [`Runtime`](super::Runtime).
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
    secret_texts: Vec<String>,
    ansible_managed: Option<String>,
    force_handlers: bool,
    verbosity: u8,
    ssh: transport::SshOptions,
    sinks: Vec<EventSink>,
    handle: Option<tokio::runtime::Handle>,
    cancel: CancellationToken,
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
            secret_texts: Vec::new(),
            ansible_managed: None,
            force_handlers: false,
            verbosity: 0,
            ssh: transport::SshOptions::default(),
            sinks: Vec::new(),
            handle: None,
            cancel: CancellationToken::new(),
        }
    }
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

    /// `--vars FILE`: variables from a JSON file, or a YAML one (`.yml`, `.yaml`), with the
    /// types they were written with. Errors name the file and exit 2.
    pub fn vars_file(self, f: &Path) -> Result<Self, Diagnostic> {
        let usage = |m: String| Diagnostic::plain(m, 2);
        let json = if f.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            // The file's own words, named as the --vars it came from (not as an -e @file).
            let m = inventory::parse_extra_vars(&format!("@{}", f.display())).map_err(|e| {
                let why = match e {
                    inventory::Error::ExtraVars { message, .. } => message,
                    other => other.to_string(),
                };
                usage(format!("--vars {}: {why}", f.display()))
            })?;
            serde_json::Value::Object(m)
        } else {
            let text = std::fs::read_to_string(f)
                .map_err(|e| usage(format!("cannot read --vars {}: {e}", f.display())))?;
            serde_json::from_str(&text).map_err(|e| {
                usage(format!(
                    "{}:{}:{}: invalid JSON: {e}",
                    f.display(),
                    e.line(),
                    e.column()
                ))
            })?
        };
        self.vars_json(&json)
            .map_err(|d| usage(format!("{}: {}", f.display(), d.message)))
    }

    /// `-e ARG` as ansible-core reads it: `key=value ...` (values typed as
    /// [`parse_cli_value`](crate::parse_cli_value) says), a JSON or YAML document, or
    /// `@FILE`. Later calls win. Errors exit 2.
    pub fn extra_vars(mut self, arg: &str) -> Result<Self, Diagnostic> {
        let usage = |m: String| Diagnostic::plain(m, 2);
        let m = inventory::parse_extra_vars(arg).map_err(|e| usage(e.to_string()))?;
        // key=value values are typed as documented (docs/hosts.md); JSON, YAML and files
        // keep the types they were written with.
        let kv_form = inventory::is_key_value(arg);
        for (k, v) in m {
            self = match (kv_form, v) {
                (true, serde_json::Value::String(s)) => {
                    self.var(&k, crate::value::parse_cli_value(&s))
                }
                (_, v) => self
                    .vars_json(&serde_json::json!({ k: v }))
                    .map_err(|d| usage(d.message))?,
            };
        }
        Ok(self)
    }

    /// Check mode: mutating commands are reported, not run.
    pub fn check_mode(mut self, on: bool) -> Self {
        self.check_mode = on;
        self
    }

    /// `--force-handlers`: notified handlers run even when the run stops on a failure, and
    /// on the hosts that failed, as Ansible's.
    pub fn force_handlers(mut self, on: bool) -> Self {
        self.force_handlers = on;
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

    /// Texts that are secrets from the start (values decrypted from Ansible Vault): masked
    /// in every output, and a variable whose value is one of them is a secret.
    pub fn secret_texts(mut self, texts: Vec<String>) -> Self {
        self.secret_texts.extend(texts);
        self
    }

    /// What templates see as `ansible_managed` (ansible.cfg's `ansible_managed`; default
    /// ansible-core's "Ansible managed").
    pub fn ansible_managed(mut self, text: impl Into<String>) -> Self {
        self.ansible_managed = Some(text.into());
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

    pub(super) fn context(mut self) -> Result<Registration, Diagnostic> {
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
        // `@FILE` terms read now, so that messages show the hosts they named.
        let limit_pattern = match &self.limit {
            None => None,
            Some(p) => Some(
                inventory::expand_limit_files(p)
                    .map_err(|e| Diagnostic::plain(format!("--limit {p}: {e}"), 2))?,
            ),
        };
        let limit = match &limit_pattern {
            None => None,
            Some(p) => Some(
                inventory
                    .limit(p)
                    .map_err(|e| Diagnostic::plain(format!("--limit {p}: {e}"), 2))?,
            ),
        };
        if let (Some(p), Some(l)) = (&limit_pattern, &limit) {
            // As ansible-core: a limit that leaves no host is refused, a term of it that
            // matches nothing is a warning.
            if l.is_empty() {
                return Err(Diagnostic::plain(
                    inventory.selects_nothing("--limit", p),
                    2,
                ));
            }
        }
        let extra: serde_json::Map<String, serde_json::Value> = self
            .vars
            .iter()
            .map(|(k, v)| (k.to_string(), api::json::to_value(v)))
            .collect();
        let (mut hosts, mut warnings) =
            host::hosts_of(&inventory, Arc::new(self.ssh), limit.as_ref(), &extra)
                .map_err(|e| Diagnostic::plain(e.to_string(), 2))?;
        // Extra variables (-e, --vars) win over every inventory variable, as in Ansible
        // (hosts_of put them in already; here they keep their own Rhai values, unless Jinja
        // in them was rendered).
        if !self.vars.is_empty() {
            for h in &mut hosts {
                let mut m = (*h.vars).clone();
                for (k, v) in &self.vars {
                    let templated = v
                        .read_lock::<rhai::ImmutableString>()
                        .is_some_and(|s| crate::jinja::vars::is_template(&s));
                    if !templated {
                        m.insert(k.clone(), v.clone());
                    }
                }
                h.vars = Arc::new(m);
            }
        }
        // Decrypted vault values are secrets: registered for every output, and the
        // variables holding one hold the secret.
        if !self.secret_texts.is_empty() {
            let known: std::collections::HashMap<String, report::Secret> = self
                .secret_texts
                .iter()
                .map(|t| (t.clone(), emitter.secrets().add(t)))
                .collect();
            let wrap = |m: &mut Map| {
                for v in m.values_mut() {
                    let hit = v
                        .read_lock::<rhai::ImmutableString>()
                        .and_then(|s| known.get(s.as_str()).cloned());
                    if let Some(secret) = hit {
                        *v = Dynamic::from(secret);
                    }
                }
            };
            for h in &mut hosts {
                let mut m = (*h.vars).clone();
                wrap(&mut m);
                h.vars = Arc::new(m);
            }
            wrap(&mut self.vars);
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
            ansible_managed: self
                .ansible_managed
                .unwrap_or_else(|| "Ansible managed".into()),
            handlers: crate::handlers::Handlers::new(self.force_handlers),
        });
        if let Some(l) = &ctx.limit {
            for t in &l.unmatched {
                warnings.push(format!("--limit: {}", ctx.inventory.no_match_warning(t)));
            }
        }
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
}
