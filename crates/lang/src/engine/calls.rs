//! Unknown functions are found before anything runs: Rhai resolves calls at run time, so a
//! misspelled function in step 5 would otherwise fail after steps 1-4 changed hosts.

use crate::diagnostics::Diagnostic;
use rhai::{ASTNode, Engine, Expr, FnCallExpr, Module, Position, Stmt, AST};
use std::collections::{HashMap, HashSet};

/// The public functions of each imported module, by the alias it is imported as.
pub type ModuleFns = HashMap<String, HashSet<String>>;

/// The names of a module's public functions.
pub fn public_fns(m: &Module) -> HashSet<String> {
    m.gen_fn_signatures_with_mapper(|t| t.into())
        .filter_map(|s| {
            let s = s.strip_prefix("fn ").unwrap_or(&s);
            s.split('(').next().map(|n| n.trim().to_string())
        })
        .collect()
}

/// Functions the language itself provides, which the engine does not list.
const KEYWORDS: &[&str] = &[
    "print",
    "debug",
    "type_of",
    "eval",
    "Fn",
    "call",
    "curry",
    "is_shared",
    "is_def_fn",
    "is_def_var",
];

/// Every plain (not namespaced) call and method call in `ast` names a function that exists:
/// registered, built in, or defined by the script (or by an earlier REPL entry). Argument
/// types are still checked when the call runs.
pub fn check(
    engine: &Engine,
    file: &str,
    ast: &AST,
    earlier: Option<&AST>,
    modules: &ModuleFns,
) -> Result<(), Diagnostic> {
    // Read from the engine once per compile: the REPL's imports add static modules.
    let sigs = super::signatures::Signatures::of(engine);
    let mut known: HashSet<String> = sigs.names().map(str::to_string).collect();
    known.extend(KEYWORDS.iter().map(|k| k.to_string()));
    known.extend(known_script_fns(ast, earlier));
    // A method call may also reach a closure kept in a map (`o.f()` with `o = #{f: || ..}`):
    // any name the script uses as a map key or property is allowed as a method.
    let props = keys_and_properties(ast);
    // Every alias an `import` here names, whether or not its path is a constant, and every
    // static module the engine has (the REPL keeps earlier entries' imports as those; an
    // embedding application may register its own): the engine lists their functions as
    // `alias::name`.
    let mut aliases: HashSet<String> = known
        .iter()
        .filter_map(|n| n.split_once("::").map(|(a, _)| a.to_string()))
        .collect();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(x, _))) = path.last() {
            aliases.insert(x.1.name.to_string());
        }
        true
    });
    let mut unknown = None;
    let mut not_imported = None;
    let mut suggest_from: Vec<String> = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        let call = match path.last() {
            // Methods only for whole files: a REPL entry may call a closure kept in a map
            // made by an earlier entry, which this AST cannot see.
            Some(ASTNode::Expr(Expr::MethodCall(call, pos))) if earlier.is_none() => {
                Some((&**call, *pos, true))
            }
            Some(node) => fn_call(node).map(|(call, pos)| (call, pos, false)),
            None => None,
        };
        if let Some((call, pos, method)) = call {
            let name = call.name.as_str();
            // `alias::name()`: the module imported as `alias` must have `name` (deeper
            // paths, `alias::sub::name()`, are left to run time).
            if !call.namespace.is_empty() {
                if call.namespace.path.len() > 1 {
                    return true;
                }
                let alias = call.namespace.root();
                match modules.get(alias) {
                    Some(fns) if !fns.contains(name) => {
                        unknown = Some((format!("{alias}::{name}"), pos, false));
                        suggest_from = fns.iter().map(|f| format!("{alias}::{f}")).collect();
                        return false;
                    }
                    None if !aliases.contains(alias) && alias != "global" => {
                        not_imported = Some((alias.to_string(), name.to_string(), pos));
                        return false;
                    }
                    _ => {}
                }
                return true;
            }
            // Operators are calls too (`+`, `==`): only named functions are checked.
            let plain = name.starts_with(|c: char| c.is_alphabetic() || c == '_');
            if plain && !known.contains(name) && !(method && props.contains(name)) {
                unknown = Some((name.to_string(), pos, method));
                return false;
            }
        }
        true
    });
    if let Some((alias, name, pos)) = not_imported {
        let path = if crate::stdlib::STDLIB.iter().any(|(n, _)| *n == alias) {
            alias.clone()
        } else {
            "FILE".to_string()
        };
        return Err(refusal(
            file,
            pos,
            format!(
                "`{alias}::{name}` calls module `{alias}`, which is not imported here; add `import \"{path}\" as {alias};` at the top; nothing was run"
            ),
        ));
    }
    let Some((name, pos, method)) = unknown else {
        return match super::lint::check(&sigs, ast, &own_names(ast, earlier)) {
            None => Ok(()),
            Some(f) => Err(refusal(
                file,
                f.pos,
                format!("{}; nothing was run", f.message),
            )),
        };
    };
    if suggest_from.is_empty() {
        suggest_from = known.into_iter().collect();
    }
    let suggestion = crate::options::did_you_mean(
        &name,
        suggest_from
            .iter()
            .filter(|k| !k.contains('$'))
            .map(String::as_str),
    );
    Err(refusal(
        file,
        pos,
        format!(
            "unknown {} `{name}`{suggestion}; nothing was run",
            if method { "method" } else { "function" }
        ),
    ))
}

/// The names a script defines: its functions (and earlier REPL entries'), and the keys and
/// properties of its maps, which may hold closures called as methods.
pub fn own_names(ast: &AST, earlier: Option<&AST>) -> HashSet<String> {
    let mut own = keys_and_properties(ast);
    own.extend(known_script_fns(ast, earlier));
    own
}

fn keys_and_properties(ast: &AST) -> HashSet<String> {
    let mut props: HashSet<String> = HashSet::new();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Expr(Expr::Map(m, _))) => {
                props.extend(m.0.iter().map(|(k, _)| k.name.to_string()));
            }
            Some(ASTNode::Expr(Expr::Property(p, _))) => {
                props.insert(p.2.to_string());
            }
            // A map of constants, folded by the optimizer.
            Some(ASTNode::Expr(Expr::DynamicConstant(v, _))) if v.is_map() => {
                if let Some(m) = v.read_lock::<rhai::Map>() {
                    props.extend(m.keys().map(|k| k.to_string()));
                }
            }
            _ => {}
        }
        true
    });
    props
}

/// The functions the script (and earlier REPL entries) define.
fn known_script_fns(ast: &AST, earlier: Option<&AST>) -> Vec<String> {
    [Some(ast), earlier]
        .into_iter()
        .flatten()
        .flat_map(|a| {
            a.iter_functions()
                .map(|f| f.name.to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A mistake found before anything ran: exit 2, at its position.
fn refusal(file: &str, pos: Position, message: String) -> Diagnostic {
    Diagnostic {
        message,
        file: Some(file.to_string()),
        line: pos.line(),
        col: pos.position(),
        trace: Vec::new(),
        exit_code: 2,
        fault: None,
        reported: false,
    }
}

/// The function call a syntax-tree node is, with its position: an expression, or a
/// statement of its own when its value is not used (`frobnicate(1);`).
pub fn fn_call<'a>(node: &'a ASTNode) -> Option<(&'a FnCallExpr, Position)> {
    match node {
        ASTNode::Expr(Expr::FnCall(call, pos)) | ASTNode::Stmt(Stmt::FnCall(call, pos)) => {
            Some((&**call, *pos))
        }
        _ => None,
    }
}
