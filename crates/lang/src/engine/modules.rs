//! `import "x" as x;`: a file `x.rhai` beside the runbook first, then rb's stdlib, which is
//! embedded in the binary so `rb` works from any directory.

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

type SharedModule = Arc<Module>;

use crate::stdlib::STDLIB;

pub struct Resolver {
    base: PathBuf,
    /// Loaded modules by file path (or `stdlib/NAME.rhai`), so each loads once per run.
    cache: Mutex<HashMap<String, SharedModule>>,
    /// Modules being loaded right now, to report import cycles instead of recursing forever.
    loading: Mutex<Vec<String>>,
    /// What the engine's signatures say, for checking each module as it loads: read once
    /// (loading a module adds no function the checks look at).
    signatures: std::sync::OnceLock<super::signatures::Signatures>,
}

impl Resolver {
    pub fn new(base: PathBuf) -> Self {
        Resolver {
            base,
            cache: Mutex::new(HashMap::new()),
            loading: Mutex::new(Vec::new()),
            signatures: Default::default(),
        }
    }

    /// Compile and evaluate a module, naming it `source` in errors.
    fn load(
        &self,
        engine: &Engine,
        source: &str,
        text: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        if let Some(m) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(source)
        {
            return Ok(m.clone());
        }
        {
            let mut loading = self.loading.lock().unwrap_or_else(|e| e.into_inner());
            if loading.iter().any(|l| l == source) {
                return Err(Box::new(EvalAltResult::ErrorRuntime(
                    format!("import cycle: {} → {source}", loading.join(" → ")).into(),
                    pos,
                )));
            }
            loading.push(source.to_string());
        }
        let result = self.load_uncached(engine, source, text, pos);
        self.loading
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|l| l != source);
        result
    }

    fn load_uncached(
        &self,
        engine: &Engine,
        source: &str,
        text: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        let mut ast = engine.compile(text).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                source.to_string(),
                e.into(),
                pos,
            ))
        })?;
        ast.set_source(source.to_string());
        // The same checks as a runbook's, before the module's code runs.
        let sigs = self
            .signatures
            .get_or_init(|| super::signatures::Signatures::of(engine));
        if let Some(f) = super::lint::check(sigs, &ast, &super::calls::own_names(&ast, None)) {
            // Reported like a syntax error: at the module's own line, nothing having run.
            let found = rhai::ParseErrorType::BadInput(rhai::LexError::Runtime(f.message));
            return Err(Box::new(EvalAltResult::ErrorInModule(
                source.to_string(),
                Box::new(EvalAltResult::ErrorParsing(found, f.pos)),
                pos,
            )));
        }
        let mut m = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(source.to_string(), e, pos)))?;
        m.build_index();
        let m: SharedModule = m.into();
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(source.to_string(), m.clone());
        Ok(m)
    }
}

fn stdlib_names() -> String {
    STDLIB
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn not_found(what: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorModuleNotFound(what, pos))
}

impl Resolver {
    /// The embedded stdlib module `name` (with or without `.rhai`), if there is one.
    fn load_stdlib(
        &self,
        engine: &Engine,
        name: &str,
        pos: Position,
    ) -> Option<Result<SharedModule, Box<EvalAltResult>>> {
        let name = name.trim_end_matches(".rhai");
        STDLIB
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, text)| self.load(engine, &format!("stdlib/{name}.rhai"), text, pos))
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        // `import "stdlib/etcd"` names the stdlib module explicitly, for runbooks that sit
        // beside a file of the same name (runbooks/etcd.rhai next to runbooks/flannel.rhai).
        if let Some(name) = path.strip_prefix("stdlib/") {
            return self.load_stdlib(engine, name, pos).unwrap_or_else(|| {
                Err(not_found(
                    format!("{path} (rb's stdlib has: {})", stdlib_names()),
                    pos,
                ))
            });
        }
        // A module importing another resolves beside itself; the runbook beside the runbook.
        let dir = source
            .map(Path::new)
            .filter(|p| p.is_file())
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.base.clone());
        let file = if path.ends_with(".rhai") {
            dir.join(path)
        } else {
            dir.join(format!("{path}.rhai"))
        };
        // A runbook named like a stdlib module (runbooks/etcd.rhai importing "etcd") does not
        // import itself.
        let is_self = source.is_some_and(|src| {
            std::fs::canonicalize(src).ok() == std::fs::canonicalize(&file).ok()
        });
        if file.is_file() && !is_self {
            let bytes = std::fs::read(&file)
                .map_err(|e| not_found(format!("{path} ({}: {e})", file.display()), pos))?;
            let text = crate::diagnostics::utf8_text(&file.display().to_string(), bytes)
                .map_err(|d| not_found(format!("{path} ({d})"), pos))?;
            return self.load(engine, &file.display().to_string(), &text, pos);
        }
        if let Some(module) = self.load_stdlib(engine, path, pos) {
            return module;
        }
        Err(not_found(
            format!(
                "{path} (looked for {} and in rb's stdlib: {})",
                file.display(),
                stdlib_names()
            ),
            pos,
        ))
    }
}
