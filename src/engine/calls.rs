//! Unknown functions are found before anything runs: Rhai resolves calls at run time, so a
//! misspelled function in step 5 would otherwise fail after steps 1-4 changed hosts.

use super::diagnostics::Diagnostic;
use rhai::{ASTNode, Engine, Expr, Stmt, AST};
use std::collections::HashSet;

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

/// Every plain (not namespaced, not method) call in `ast` names a function that exists:
/// registered, built in, or defined by the script (or by an earlier REPL entry).
pub fn check(
    engine: &Engine,
    file: &str,
    ast: &AST,
    earlier: Option<&AST>,
) -> Result<(), Diagnostic> {
    let mut known: HashSet<String> = engine
        .gen_fn_signatures(true)
        .iter()
        .filter_map(|s| s.split('(').next().map(|n| n.trim().to_string()))
        .collect();
    known.extend(KEYWORDS.iter().map(|k| k.to_string()));
    for a in [Some(ast), earlier].into_iter().flatten() {
        known.extend(a.iter_functions().map(|f| f.name.to_string()));
    }
    let mut unknown = None;
    ast.walk(&mut |path: &[ASTNode]| {
        // A call is an expression, or a statement of its own (`frobnicate(1);`).
        let call = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, pos))) => Some((call, pos)),
            Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => Some((call, pos)),
            _ => None,
        };
        if let Some((call, pos)) = call {
            let name = call.name.as_str();
            let plain = call.namespace.is_empty()
                && name.starts_with(|c: char| c.is_alphabetic() || c == '_');
            if plain && !known.contains(name) {
                unknown = Some((name.to_string(), *pos));
                return false;
            }
        }
        true
    });
    let Some((name, pos)) = unknown else {
        return Ok(());
    };
    let suggestion = known
        .iter()
        .filter(|k| !k.contains('$'))
        .map(|k| (strsim::levenshtein(k, &name), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Err(Diagnostic {
        message: format!("unknown function `{name}`{suggestion}; nothing was run"),
        file: Some(file.to_string()),
        line: pos.line(),
        col: pos.position(),
        trace: Vec::new(),
        exit_code: 2,
    })
}
