//! A ready-to-run rb: compiling and running runbooks and REPL entries, each as one framed
//! run on the event stream. [`RuntimeBuilder`] configures one; [`adhoc`] is `rb exec`.

pub mod adhoc;
mod builder;

pub use builder::{
    Registration, RuntimeBuilder, DEFAULT_MAX_OPERATIONS, DEFAULT_MAX_OUTPUT,
    DEFAULT_MAX_OUTPUT_TOTAL,
};

use crate::context::{self, Ctx};
use crate::diagnostics::{utf8_text, Diagnostic};
use crate::{api, engine, raise, tasks};
use rb_core::report::Event;
use rhai::{Dynamic, Engine, Scope};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// A ready-to-run rb: an engine with rb's API, the I/O runtime, and the event stream.
///
/// Runs block the calling thread. Call them from a plain thread, never from inside an async
/// task (use `tokio::task::spawn_blocking` there).
pub struct Runtime {
    engine: Engine,
    ctx: Arc<Ctx>,
    base_dir: PathBuf,
    /// The engine's functions by type, for completion (`members_of`); methods do not
    /// change after the engine is built (imports add only `alias::` functions).
    signatures: std::sync::OnceLock<engine::signatures::Signatures>,
    _tokio: Option<tokio::runtime::Runtime>,
}

impl RuntimeBuilder {
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
            signatures: Default::default(),
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

    /// What can follow `v.` (Tab completion after a dot): the properties and methods of
    /// its type, and a map's keys.
    pub fn members_of(&self, v: &Dynamic) -> Vec<String> {
        let ty = self.engine.map_type_name(v.type_name());
        // Read from the engine once: the REPL asks after every entry, for every variable.
        let sigs = self
            .signatures
            .get_or_init(|| engine::signatures::Signatures::of(&self.engine));
        let mut m = sigs.members(ty);
        if let Some(map) = v.read_lock::<rhai::Map>() {
            m.extend(map.keys().map(|k| k.to_string()));
        }
        m.sort();
        m.dedup();
        m
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
        if let Some(task) = crate::tasks::take_failed_task() {
            d.message = format!(
                "{} › {}: {}",
                context::current_host(),
                task.join(" › "),
                d.message
            );
        }
        if self.ctx.is_cancelled() {
            d.exit_code = 130;
        } else if raise::is_usage(e) {
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

    /// The tasks a runbook names (`rb run --list-tasks`), in the order they are written
    /// (only those `--tags`/`--skip-tags` would run, when the run names any),
    /// from its text alone: nothing runs.
    pub fn list_tasks(&mut self, path: &Path) -> Result<Vec<tasks::ListedTask>, Diagnostic> {
        let (name, text) = read_runbook(path)?;
        self.point_imports_at(path);
        let ast = self.compile(&name, &text)?;
        Ok(self.ctx.tasks.listed(tasks::list(&ast, &text)))
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
            text.and_then(|text| {
                let ast = self.compile(name, text)?;
                self.check_selections(name, &ast, text)?;
                Ok(ast)
            })
            .and_then(|ast| {
                let result = self
                    .engine
                    .eval_ast_with_scope::<Dynamic>(&mut Scope::new(), &ast)
                    .map_err(|e| self.runtime_diagnostic(name, &e));
                // Handlers still pending (notified outside `on`, or after its last batch)
                // run when the runbook ends; after an error only with --force-handlers.
                if result.is_ok() || self.ctx.handlers.force {
                    let call = |f: &rhai::FnPtr, h: crate::host::Host| {
                        f.call::<Dynamic>(&self.engine, &ast, (h,))
                    };
                    let due = api::handlers::pending_hosts(&self.ctx);
                    api::handlers::run_hosts(&self.ctx, &call, &due, self.ctx.forks, &|_| None);
                }
                result
            })
        })
    }

    /// Before anything runs: refuse a literal `hosts("...")` whose pattern selects no host
    /// of the inventory, a literal `need_hosts("...")` with none inside `--limit`, and a
    /// `--tags`, `--skip-tags` or `--start-at-task` that names no task of the runbook. Each
    /// is a typo that would otherwise run nothing and exit 0.
    fn check_selections(&self, name: &str, ast: &rhai::AST, text: &str) -> Result<(), Diagnostic> {
        use rhai::{ASTNode, Expr};
        let mut refused = None;
        ast.walk(&mut |path: &[ASTNode]| {
            let Some((call, pos)) = path.last().and_then(engine::calls::fn_call) else {
                return true;
            };
            let Some(Expr::StringConstant(pattern, _)) = call.args.first() else {
                return true;
            };
            let message = match call.name.as_str() {
                "hosts"
                    if call.args.len() == 1
                        && !api::hosts::selects_any(&self.ctx.inventory, pattern) =>
                {
                    self.ctx.selects_nothing(pattern)
                }
                "need_hosts"
                    if call.args.len() == 1
                        && api::hosts::select_quietly(&self.ctx, pattern)
                            .is_ok_and(|l| l.0.is_empty()) =>
                {
                    api::hosts::needs_hosts_message(&self.ctx, pattern)
                }
                _ => return true,
            };
            refused = Some(Diagnostic {
                file: Some(name.to_string()),
                line: pos.line(),
                col: pos.position(),
                ..Diagnostic::plain(message, 2)
            });
            false
        });
        if let Some(d) = refused {
            return Err(d);
        }
        // Only a run that names tags or a start task pays for reading the runbook's tasks.
        if self.ctx.tasks.selects_some()
            && tasks::all_literal(ast)
            && !self.imports_own_modules(ast)
        {
            self.ctx
                .tasks
                .check(&tasks::list(ast, text))
                .map_err(|m| Diagnostic::plain(m, 2))?;
        }
        Ok(())
    }

    /// Whether the runbook imports a module of its own (not rb's stdlib): its tasks are not
    /// in the runbook's text.
    fn imports_own_modules(&self, ast: &rhai::AST) -> bool {
        imports_of(ast)
            .iter()
            .any(|(path, _, _)| !crate::stdlib::STDLIB.iter().any(|(m, _)| m == path))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What completion after a dot offers: the value's properties and methods (a command
    /// result's `out`, `err`, `lines`), and a map's keys besides the map's methods.
    #[test]
    fn members_of_lists_what_can_follow_a_dot() {
        let rt = Runtime::builder().build().unwrap();
        let r = rt.run_script("r", r#"sh("true")"#).unwrap();
        let m = rt.members_of(&r);
        for want in ["out", "err", "rc", "lines", "json"] {
            assert!(m.contains(&want.to_string()), "{want} in {m:?}");
        }
        assert!(!m.contains(&"push".to_string()), "{m:?}");
        let map = rt.run_script("m", "#{alpha: 1, beta: 2}").unwrap();
        let m = rt.members_of(&map);
        for want in ["alpha", "beta", "keys", "values"] {
            assert!(m.contains(&want.to_string()), "{want} in {m:?}");
        }
        let mut sorted = m.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(m, sorted, "sorted, once each");
    }
}
