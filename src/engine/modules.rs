//! `import "x" as x;`: a file `x.rhai` beside the runbook first, then rb's stdlib, which is
//! embedded in the binary so `rb` works from any directory.

use rhai::module_resolvers::FileModuleResolver;
use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

type SharedModule = Arc<Module>;

/// The stdlib modules: name and source.
pub const STDLIB: &[(&str, &str)] = &[("net", include_str!("../../stdlib/net.rhai"))];

pub struct Resolver {
    base: PathBuf,
    files: FileModuleResolver,
    stdlib: Mutex<HashMap<String, SharedModule>>,
}

impl Resolver {
    pub fn new(base: PathBuf) -> Self {
        Resolver {
            files: FileModuleResolver::new_with_path(base.clone()),
            base,
            stdlib: Mutex::new(HashMap::new()),
        }
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
        let file = if path.ends_with(".rhai") {
            self.base.join(path)
        } else {
            self.base.join(format!("{path}.rhai"))
        };
        if file.exists() {
            return self.files.resolve(engine, source, path, pos);
        }
        let name = path.trim_end_matches(".rhai");
        if let Some((_, text)) = STDLIB.iter().find(|(n, _)| *n == name) {
            let mut cache = self.stdlib.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(m) = cache.get(name) {
                return Ok(m.clone());
            }
            let mut ast = engine.compile(*text).map_err(|e| {
                Box::new(EvalAltResult::ErrorInModule(
                    format!("stdlib/{name}.rhai"),
                    e.into(),
                    pos,
                ))
            })?;
            ast.set_source(format!("stdlib/{name}.rhai"));
            let mut m = Module::eval_ast_as_new(Scope::new(), &ast, engine)?;
            m.build_index();
            let m: SharedModule = m.into();
            cache.insert(name.to_string(), m.clone());
            return Ok(m);
        }
        Err(Box::new(EvalAltResult::ErrorModuleNotFound(
            format!(
                "{path} (looked for {} and in rb's stdlib: {})",
                file.display(),
                STDLIB
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            pos,
        )))
    }
}
