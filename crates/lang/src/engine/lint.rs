//! Mistakes found in a runbook's text before anything runs, beyond unknown names
//! (calls.rs): an options map with a key its function does not know, a property or method
//! that a value of a known rb type does not have (`r.outt` where `r = h.sh(..)`), and the
//! result of an in-place method used as a value (`let s = r.stdout.trim();` is `()`).
//!
//! Types are known only where the text alone tells: a variable every binding of which is a
//! call returning one rb type (`sh` gives a command result, `hosts` a host list), and chains
//! from such calls. Anything else is left to run time, so the checks never refuse a runbook
//! that works.

use super::signatures::Signatures;
use rhai::{ASTNode, Expr, Position, Stmt, AST};
use std::collections::{HashMap, HashSet};

/// A mistake and where it is.
pub struct Finding {
    pub message: String,
    pub pos: Position,
}

/// What a chain link gives: its rb type if known, and whether it is the `()` of an
/// in-place method (with the method's name and where it is).
#[derive(Default)]
struct Value {
    ty: Option<String>,
    unit: Option<(String, Position)>,
    /// The property read last (`stdout` in `r.stdout.trim()`), for a better hint.
    after: Option<String>,
}

struct Lint<'a> {
    sigs: &'a Signatures,
    /// Names the script defines (functions, map keys and properties holding closures):
    /// a call of one of them may be anything.
    own: &'a HashSet<String>,
    vars: HashMap<String, String>,
}

/// The first mistake in `ast`, if any. `own`: the names the script defines (its functions,
/// and the keys and properties of its maps, which may hold closures called as methods).
pub fn check(sigs: &Signatures, ast: &AST, own: &HashSet<String>) -> Option<Finding> {
    let mut lint = Lint {
        sigs,
        own,
        vars: HashMap::new(),
    };
    // Twice, so `let hs = hosts(..); let h = hs[0];` types `h` through `hs`.
    for _ in 0..2 {
        lint.vars = lint.typed_variables(ast);
    }
    let mut found = None;
    ast.walk(&mut |path: &[ASTNode]| {
        let parent = path.len().checked_sub(2).map(|i| &path[i]);
        found = path.last().and_then(|node| lint.node(node, parent));
        found.is_none()
    });
    found
}

impl Lint<'_> {
    fn node(&self, node: &ASTNode, parent: Option<&ASTNode>) -> Option<Finding> {
        match node {
            ASTNode::Expr(e @ (Expr::Dot(..) | Expr::Index(..))) if !in_chain(parent) => {
                let v = match self.chain(e) {
                    Ok(v) => v,
                    Err(f) => return Some(f),
                };
                // The chain's value is used unless it stands as a statement of its own.
                match (v.unit, parent) {
                    (Some(_), Some(ASTNode::Stmt(Stmt::Expr(_)))) | (None, _) => None,
                    (Some((name, pos)), _) => Some(in_place(&name, pos, v.after.as_deref())),
                }
            }
            ASTNode::Expr(Expr::FnCall(call, pos))
                if call.namespace.is_empty()
                    && !self.own.contains(call.name.as_str())
                    && self.sigs.in_place(&call.name) =>
            {
                Some(Finding {
                    message: format!(
                        "`{0}(...)` changes its first argument in place and returns `()`, so its result here is `()`: call `x.{0}(...);` on a line of its own, then use `x`",
                        call.name
                    ),
                    pos: *pos,
                })
            }
            ASTNode::Expr(Expr::FnCall(call, _) | Expr::MethodCall(call, _))
            | ASTNode::Stmt(Stmt::FnCall(call, _))
                if call.namespace.is_empty() && !self.own.contains(call.name.as_str()) =>
            {
                let (shown, known) = crate::options::of(&call.name)?;
                call.args.iter().find_map(|a| unknown_option(a, shown, known))
            }
            _ => None,
        }
    }

    /// Each variable's rb type, where every binding of it in the script agrees on one.
    fn typed_variables(&self, ast: &AST) -> HashMap<String, String> {
        let mut seen: HashMap<String, Option<String>> = HashMap::new();
        let mut bind = |name: &str, ty: Option<String>| {
            let e = seen.entry(name.to_string()).or_insert_with(|| ty.clone());
            if *e != ty {
                *e = None;
            }
        };
        for f in ast.iter_functions() {
            for p in f.params {
                bind(p, None);
            }
        }
        ast.walk(&mut |path: &[ASTNode]| {
            match path.last() {
                Some(ASTNode::Stmt(Stmt::Var(x, ..))) => bind(&x.0.name, self.type_of(&x.1)),
                Some(ASTNode::Stmt(Stmt::Assignment(x))) => {
                    if let Expr::Variable(v, ..) = &x.1.lhs {
                        let ty = (!x.0.is_op_assignment())
                            .then(|| self.type_of(&x.1.rhs))
                            .flatten();
                        bind(&v.1, ty);
                    }
                }
                Some(ASTNode::Stmt(Stmt::For(x, ..))) => {
                    bind(&x.0.name, None);
                    if let Some(counter) = &x.1 {
                        bind(&counter.name, None);
                    }
                }
                Some(ASTNode::Stmt(Stmt::TryCatch(x, ..))) => {
                    if let Expr::Variable(v, ..) = &x.expr {
                        bind(&v.1, None);
                    }
                }
                _ => {}
            }
            true
        });
        seen.into_iter()
            .filter_map(|(n, t)| t.map(|t| (n, t)))
            .collect()
    }

    /// The rb type of an expression, when the text alone tells.
    fn type_of(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Variable(v, ..) if v.2.is_empty() => self.vars.get(v.1.as_str()).cloned(),
            Expr::FnCall(call, _) if call.namespace.is_empty() => self.returns(&call.name),
            Expr::Dot(..) | Expr::Index(..) => self.chain(e).ok().and_then(|v| v.ty),
            _ => None,
        }
    }

    fn returns(&self, name: &str) -> Option<String> {
        if self.own.contains(name) {
            return None;
        }
        self.sigs.returns(name)
    }

    /// Follow `base.a.b()[0].c` from its base, link by link.
    fn chain(&self, e: &Expr) -> Result<Value, Finding> {
        match e {
            Expr::Dot(x, ..) => {
                let base = Value {
                    ty: self.type_of(&x.lhs),
                    ..Value::default()
                };
                self.follow(base, &x.rhs)
            }
            Expr::Index(x, ..) => {
                let base = Value {
                    ty: self.type_of(&x.lhs),
                    ..Value::default()
                };
                self.indexed(base, &x.rhs)
            }
            _ => Ok(Value::default()),
        }
    }

    fn follow(&self, v: Value, e: &Expr) -> Result<Value, Finding> {
        match e {
            Expr::Dot(x, ..) => {
                let next = self.link(v, &x.lhs)?;
                self.follow(not_unit(next)?, &x.rhs)
            }
            Expr::Index(x, ..) => {
                let next = self.link(v, &x.lhs)?;
                self.indexed(not_unit(next)?, &x.rhs)
            }
            link => self.link(v, link),
        }
    }

    /// `value[i]` and what follows it (`[i].c` is `Dot { lhs: i, rhs: c }`).
    fn indexed(&self, v: Value, rhs: &Expr) -> Result<Value, Finding> {
        let item = Value {
            ty: v.ty.as_deref().and_then(|t| self.sigs.index(t)),
            ..Value::default()
        };
        match rhs {
            Expr::Dot(x, ..) => self.follow(item, &x.rhs),
            Expr::Index(x, ..) => self.indexed(item, &x.rhs),
            _ => Ok(item),
        }
    }

    fn link(&self, v: Value, e: &Expr) -> Result<Value, Finding> {
        let known = v.ty.filter(|t| self.sigs.is_rb_type(t));
        match e {
            Expr::Property(p, pos) => {
                let name = p.2.as_str();
                if let Some(t) = &known {
                    if !self.sigs.has_property(t, name) {
                        return Err(self.unknown_property(t, name, *pos));
                    }
                }
                Ok(Value {
                    ty: known.and_then(|t| self.sigs.property_type(&t, name)),
                    unit: None,
                    after: Some(name.to_string()),
                })
            }
            Expr::MethodCall(call, pos) => {
                let name = call.name.as_str();
                if self.own.contains(name) {
                    return Ok(Value::default());
                }
                if let Some(t) = &known {
                    if self.sigs.exists(name) && !self.sigs.applies_to(t, name) {
                        return Err(self.no_such_method(t, name, *pos));
                    }
                }
                Ok(Value {
                    ty: self.sigs.returns(name),
                    unit: self.sigs.in_place(name).then(|| (name.to_string(), *pos)),
                    after: v.after,
                })
            }
            _ => Ok(Value::default()),
        }
    }

    fn unknown_property(&self, ty: &str, name: &str, pos: Position) -> Finding {
        let props = self.sigs.properties(ty);
        Finding {
            message: format!(
                "unknown property `{name}` of a {}{}; it has: {}",
                described(ty),
                crate::options::did_you_mean(name, props.iter().map(String::as_str)),
                props.join(", ")
            ),
            pos,
        }
    }

    fn no_such_method(&self, ty: &str, name: &str, pos: Position) -> Finding {
        Finding {
            message: format!(
                "`{name}()` cannot be called on a {}: it is a method of {}",
                described(ty),
                self.sigs
                    .receivers(name)
                    .iter()
                    .map(|t| described(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            pos,
        }
    }
}

/// A link after an in-place method: the chain goes on from `()`.
fn not_unit(v: Value) -> Result<Value, Finding> {
    match v.unit {
        Some((name, pos)) => Err(in_place(&name, pos, v.after.as_deref())),
        None => Ok(v),
    }
}

/// Whether an expression is a link inside a longer chain (its parent is a `.` or `[]`).
fn in_chain(parent: Option<&ASTNode>) -> bool {
    matches!(parent, Some(ASTNode::Expr(Expr::Dot(..) | Expr::Index(..))))
}

fn in_place(name: &str, pos: Position, after: Option<&str>) -> Finding {
    let fix = match (name, after) {
        ("trim", Some("stdout")) => "read `.out` instead, stdout already trimmed".to_string(),
        ("trim", Some("stderr")) => "read `.err` instead, stderr already trimmed".to_string(),
        _ => format!(
            "put the value in a variable, call `v.{name}(...);` on a line of its own, then use `v`"
        ),
    };
    Finding {
        message: format!(
            "`{name}()` changes its value in place and returns `()`, so its result here is `()`: {fix}"
        ),
        pos,
    }
}

/// `CmdResult` → "command result (CmdResult)": the words the docs use, and the type name
/// `type_of` prints.
fn described(ty: &str) -> String {
    let words = match ty {
        "CmdResult" => "command result",
        "Host" => "host",
        "HostList" => "host list",
        "string" => "string",
        "array" => "array",
        "map" => "map",
        _ => return format!("`{ty}`"),
    };
    format!("{words} ({ty})")
}

/// The first key of a literal options map that `known` does not hold.
fn unknown_option(arg: &Expr, shown: &str, known: &[&str]) -> Option<Finding> {
    let keys: Vec<(String, Position)> = match arg {
        Expr::Map(m, _) => {
            m.0.iter()
                .map(|(k, _)| (k.name.to_string(), k.pos))
                .collect()
        }
        Expr::DynamicConstant(v, pos) if v.is_map() => v
            .read_lock::<rhai::Map>()
            .map(|m| m.keys().map(|k| (k.to_string(), *pos)).collect())
            .unwrap_or_default(),
        _ => return None,
    };
    let (key, pos) = keys
        .into_iter()
        .find(|(k, _)| !known.contains(&k.as_str()))?;
    Some(Finding {
        message: crate::options::unknown(&key, shown, known),
        pos,
    })
}
