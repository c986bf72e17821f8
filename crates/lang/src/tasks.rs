//! Which tasks run: `--tags`, `--skip-tags` and `--start-at-task`, by ansible-core's rules
//! (`Taggable.evaluate_tags`), and `--list-tasks` from the runbook's text.
//!
//! A task is like Ansible's `include_tasks` with `apply: {tags}`: its tags reach the tasks
//! inside it, and a task left out skips its whole body (the tasks inside it too), giving
//! `()`. Tag a task whose value later steps need `always`, as Ansible users do.

use rhai::{ASTNode, Expr, FnCallExpr, AST};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

/// The task selection of a run.
#[derive(Debug, Default)]
pub struct TaskFilter {
    /// `--tags` (empty: `all`).
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    /// `--start-at-task`: tasks before the first one of this name (or glob) are skipped,
    /// host by host.
    pub start_at: Option<String>,
    started: Mutex<HashSet<String>>,
}

impl TaskFilter {
    /// A filter from the command line's lists (each entry may hold several, comma-separated).
    pub fn new(tags: &[String], skip_tags: &[String], start_at: Option<String>) -> TaskFilter {
        let split = |v: &[String]| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        TaskFilter {
            tags: split(tags),
            skip_tags: split(skip_tags),
            start_at,
            started: Mutex::new(HashSet::new()),
        }
    }

    /// ansible-core's `evaluate_tags` for a task with `tags` (its own and inherited).
    pub fn selects(&self, tags: &BTreeSet<String>) -> bool {
        let untagged: BTreeSet<String> = ["untagged".to_string()].into();
        let tags = if tags.is_empty() { &untagged } else { tags };
        let has = |list: &[String], t: &str| list.iter().any(|x| x == t);
        let meets = |list: &[String]| list.iter().any(|t| tags.contains(t));
        let only: Vec<String> = if self.tags.is_empty() {
            vec!["all".into()]
        } else {
            self.tags.clone()
        };
        let mut run = tags.contains("always")
            || (has(&only, "all") && !tags.contains("never"))
            || meets(&only)
            || (has(&only, "tagged") && *tags != untagged && !tags.contains("never"));
        if run && !self.skip_tags.is_empty() {
            let skip = &self.skip_tags;
            if has(skip, "all") {
                run = tags.contains("always") && !has(skip, "always");
            } else if meets(skip) || (has(skip, "tagged") && *tags != untagged) {
                run = false;
            }
        }
        run
    }

    /// `--start-at-task`: has `host` reached the start task? Reaching it is `name` (or the
    /// task path `outer › name`) matching the option, exactly or as a glob; the tasks on a
    /// path the option names run, so that it can be reached.
    pub fn reached(&self, host: &str, name: &str, path: &str) -> bool {
        let Some(start) = &self.start_at else {
            return true;
        };
        let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
        if started.contains(host) {
            return true;
        }
        let hit = starts_here(start, name, path);
        if hit {
            started.insert(host.to_string());
        }
        // `outer › inner`: enter `outer` (its own steps run) to reach `inner`.
        hit || start.starts_with(&format!("{path} › "))
    }

    /// `tasks` (as `list` gives them) narrowed to those the run would enter under
    /// `--tags`/`--skip-tags`, as ansible-playbook's `--list-tasks --tags`: a task's own tags
    /// and those of the tasks around it decide, and a task inside one that does not run
    /// does not run either. Without tag lists every task is listed.
    pub fn listed(&self, tasks: Vec<ListedTask>) -> Vec<ListedTask> {
        if self.tags.is_empty() && self.skip_tags.is_empty() {
            return tasks;
        }
        // The tasks around the current one: (their tags with inherited ones, whether they run).
        let mut around: Vec<(BTreeSet<String>, bool)> = Vec::new();
        let mut kept = Vec::new();
        for t in tasks {
            around.truncate(t.depth);
            let (mut tags, outer_runs) = around
                .last()
                .map_or((BTreeSet::new(), true), |(tags, runs)| {
                    (tags.clone(), *runs)
                });
            tags.extend(t.tags.iter().cloned());
            let runs = outer_runs && self.selects(&tags);
            around.push((tags, runs));
            if runs {
                kept.push(t);
            }
        }
        kept
    }

    /// Whether the run names tags or a start task at all (else every task runs and there
    /// is nothing to check).
    pub fn selects_some(&self) -> bool {
        !self.tags.is_empty() || !self.skip_tags.is_empty() || self.start_at.is_some()
    }

    /// Refuse a `--tags`, `--skip-tags` or `--start-at-task` that names nothing in the
    /// runbook's `tasks` (a typo would run everything, or nothing, and exit 0), with the
    /// closest name. Ansible's special tags (`all`, `tagged`, `untagged`, `always`, `never`)
    /// always name something.
    pub fn check(&self, tasks: &[ListedTask]) -> Result<(), String> {
        const SPECIAL: [&str; 5] = ["all", "tagged", "untagged", "always", "never"];
        let mut known: Vec<&str> = tasks
            .iter()
            .flat_map(|t| t.tags.iter().map(String::as_str))
            .collect();
        known.sort_unstable();
        known.dedup();
        for (flag, list) in [("--tags", &self.tags), ("--skip-tags", &self.skip_tags)] {
            for tag in list {
                if SPECIAL.contains(&tag.as_str()) || known.contains(&tag.as_str()) {
                    continue;
                }
                let listed = if known.is_empty() {
                    "the runbook's tasks have no tags".to_string()
                } else {
                    format!("its tags: {}", known.join(", "))
                };
                return Err(format!(
                    "{flag} {tag}: no task of the runbook has this tag{}; {listed}",
                    crate::options::did_you_mean(tag, known.iter().copied())
                ));
            }
        }
        if let Some(start) = &self.start_at {
            let paths = paths(tasks);
            let hit = tasks
                .iter()
                .zip(&paths)
                .any(|(t, p)| starts_here(start, &t.name, p));
            if !hit {
                return Err(format!(
                    "--start-at-task {start}: no task of the runbook is called that{}; see them with --list-tasks",
                    crate::options::did_you_mean(
                        start,
                        tasks.iter().map(|t| t.name.as_str()).chain(paths.iter().map(String::as_str))
                    )
                ));
            }
        }
        Ok(())
    }
}

/// Whether `--start-at-task START` names the task `name` at `path` (`outer › name`):
/// exactly, or as a glob.
fn starts_here(start: &str, name: &str, path: &str) -> bool {
    [name, path]
        .iter()
        .any(|n| *n == start || inventory::glob_matches(start, n))
}

/// Each listed task's path (`outer › inner`), from the nesting depths.
fn paths(tasks: &[ListedTask]) -> Vec<String> {
    let mut stack: Vec<&str> = Vec::new();
    tasks
        .iter()
        .map(|t| {
            stack.truncate(t.depth);
            stack.push(&t.name);
            stack.join(" › ")
        })
        .collect()
}

/// A `task(name, [opts,] body)` call, with its position.
fn task_call<'a>(node: &'a ASTNode) -> Option<(&'a FnCallExpr, rhai::Position)> {
    crate::engine::calls::fn_call(node)
        .filter(|(call, _)| call.name == "task" && call.args.len() >= 2)
}

/// Whether every `task(...)` call of `ast` names its task and tags literally, so that
/// [`list`] knows them all (a computed name or tags cannot be checked before the run).
pub fn all_literal(ast: &AST) -> bool {
    let mut literal = true;
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some((call, _)) = path.last().and_then(task_call) {
            let name_ok = matches!(call.args[0], Expr::StringConstant(..));
            let literal_value = |v: &Expr| match v {
                Expr::Array(items, _) => {
                    items.iter().all(|e| matches!(e, Expr::StringConstant(..)))
                }
                other => matches!(other, Expr::StringConstant(..) | Expr::DynamicConstant(..)),
            };
            let tags_ok = call.args.len() == 2
                || match &call.args[1] {
                    Expr::Map(map, _) => map.0.iter().all(|(_, v)| literal_value(v)),
                    other => matches!(other, Expr::DynamicConstant(..)),
                };
            if !(name_ok && tags_ok) {
                literal = false;
            }
        }
        literal
    });
    literal
}

/// A task found in a runbook's text: its name, tags and nesting depth.
#[derive(Debug, PartialEq)]
pub struct ListedTask {
    /// The name as written (a string literal).
    pub name: String,
    /// The literal tags of `task(name, #{tags: [...]}, ...)`.
    pub tags: Vec<String>,
    /// How many tasks it is written inside.
    pub depth: usize,
}

/// The tasks of a compiled runbook (`source` its text), in the order they are written:
/// every `task(...)` call whose name is a string literal (a computed name cannot be known
/// before the run). Closures are compiled apart from the code around them, so nesting is
/// read from the text: a task is inside another when it lies within that call's parentheses.
pub fn list(ast: &AST, source: &str) -> Vec<ListedTask> {
    let mut found: Vec<((usize, usize), String, Vec<String>)> = Vec::new();
    let mut visit = |path: &[ASTNode]| {
        if let Some((call, pos)) = path.last().and_then(task_call) {
            if let Expr::StringConstant(name, _) = &call.args[0] {
                let tags = if call.args.len() == 3 {
                    literal_tags(&call.args[1])
                } else {
                    Vec::new()
                };
                let at = (pos.line().unwrap_or(0), pos.position().unwrap_or(0));
                found.push((at, name.to_string(), tags));
            }
        }
        true
    };
    ast.walk(&mut visit);
    found.sort_by_key(|f| f.0);
    found.dedup_by_key(|f| f.0);
    let offsets: Vec<usize> = found.iter().map(|f| offset(source, f.0)).collect();
    let ends: Vec<usize> = offsets.iter().map(|&o| call_end(source, o)).collect();
    found
        .into_iter()
        .enumerate()
        .map(|(i, (_, name, tags))| ListedTask {
            depth: (0..i)
                .filter(|&j| offsets[j] < offsets[i] && offsets[i] < ends[j])
                .count(),
            name,
            tags,
        })
        .collect()
}

/// The byte offset of a 1-based line and column.
fn offset(source: &str, (line, col): (usize, usize)) -> usize {
    let start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let text = &source[start.min(source.len())..];
    start
        + text
            .chars()
            .take(col.saturating_sub(1))
            .map(char::len_utf8)
            .sum::<usize>()
}

/// Where the call starting at `at` (`task(`) closes: brackets counted, strings and comments
/// skipped.
fn call_end(source: &str, at: usize) -> usize {
    let b = source.as_bytes();
    let (mut i, mut depth) = (at, 0i32);
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            q @ (b'"' | b'`' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

fn literal_tags(opts: &Expr) -> Vec<String> {
    let strings = |v: &rhai::Dynamic| -> Vec<String> {
        if v.is_string() {
            return vec![v.to_string()];
        }
        v.clone()
            .into_array()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| t.is_string())
            .map(|t| t.to_string())
            .collect()
    };
    match opts {
        Expr::Map(map, _) => map
            .0
            .iter()
            .filter(|(k, _)| k.name == "tags")
            .flat_map(|(_, v)| match v {
                Expr::Array(items, _) => items
                    .iter()
                    .filter_map(|e| match e {
                        Expr::StringConstant(s, _) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect(),
                Expr::StringConstant(s, _) => vec![s.to_string()],
                Expr::DynamicConstant(d, _) => strings(d),
                _ => Vec::new(),
            })
            .collect(),
        Expr::DynamicConstant(d, _) => d
            .clone()
            .try_cast::<rhai::Map>()
            .and_then(|m| m.get("tags").map(strings))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

// The task path of the thread running a runbook (or one host's closure): pushed and
// popped by `task(...)`, read by every event a command emits.
thread_local! {
    static TASKS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// The tags of each task on `TASKS` (its own and its outer tasks').
    static TAGS: RefCell<Vec<BTreeSet<String>>> = const { RefCell::new(Vec::new()) };
    /// The task path where the current error was first raised, for the final message.
    static FAILED_TASK: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// The task path on this thread, outermost first.
pub(crate) fn current_tasks() -> Vec<String> {
    TASKS.with(|t| t.borrow().clone())
}

/// The tags a new task inherits: those of the task it runs in.
pub(crate) fn inherited_tags() -> BTreeSet<String> {
    TAGS.with(|t| t.borrow().last().cloned().unwrap_or_default())
}

pub(crate) fn push_task(name: &str, tags: BTreeSet<String>) {
    TASKS.with(|t| t.borrow_mut().push(name.to_string()));
    TAGS.with(|t| t.borrow_mut().push(tags));
}

pub(crate) fn pop_task() {
    TASKS.with(|t| {
        t.borrow_mut().pop();
    });
    TAGS.with(|t| {
        t.borrow_mut().pop();
    });
}

/// Take the task path recorded by the innermost failing `task(...)`, if any.
pub(crate) fn take_failed_task() -> Option<Vec<String>> {
    FAILED_TASK.with(|f| f.borrow_mut().take())
}

/// Remember `path` as where the current error was first raised (the innermost task wins).
pub(crate) fn record_failed_task(path: Vec<String>) {
    FAILED_TASK.with(|f| {
        let mut f = f.borrow_mut();
        if f.is_none() {
            *f = Some(path);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::TaskFilter;
    use std::collections::BTreeSet;

    fn set(t: &[&str]) -> BTreeSet<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    /// ansible-core's rules, case by case (`Taggable.evaluate_tags`).
    #[test]
    fn tags_select_as_ansible_selects() {
        let f = |tags: &[&str], skip: &[&str]| {
            TaskFilter::new(
                &tags.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &skip.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                None,
            )
        };
        type Case<'a> = (&'a [&'a str], &'a [&'a str], &'a [&'a str], bool);
        let cases: &[Case] = &[
            (&[], &[], &[], true),
            (&[], &[], &["etcd"], true),
            (&[], &[], &["never"], false),
            (&[], &[], &["never", "debug"], false),
            (&["debug"], &[], &["never", "debug"], true),
            (&["etcd"], &[], &[], false),
            (&["etcd"], &[], &["etcd", "x"], true),
            (&["etcd,flannel"], &[], &["flannel"], true),
            (&["etcd"], &[], &["always"], true),
            (&["untagged"], &[], &[], true),
            (&["untagged"], &[], &["a"], false),
            (&["tagged"], &[], &["a"], true),
            (&["tagged"], &[], &[], false),
            (&["tagged"], &[], &["never", "a"], false),
            (&["all"], &[], &["a"], true),
            (&[], &["etcd"], &["etcd"], false),
            (&[], &["etcd"], &["always", "etcd"], false),
            (&[], &["etcd"], &["always"], true),
            (&[], &["all"], &["always"], true),
            (&[], &["all", "always"], &["always"], false),
            (&[], &["all"], &["a"], false),
            (&[], &["tagged"], &["a"], false),
            (&[], &["tagged"], &[], true),
            (&[], &["untagged"], &[], false),
            (&["a"], &["b"], &["a", "b"], false),
        ];
        for (only, skip, tags, want) in cases {
            assert_eq!(
                f(only, skip).selects(&set(tags)),
                *want,
                "--tags {only:?} --skip-tags {skip:?} on {tags:?}"
            );
        }
    }

    #[test]
    fn start_at_task_is_per_host_and_takes_globs() {
        let f = TaskFilter::new(&[], &[], Some("units*".into()));
        assert!(!f.reached("h1", "packages", "packages"));
        assert!(f.reached("h1", "units and more", "units and more"));
        assert!(f.reached("h1", "start", "start"));
        assert!(!f.reached("h2", "start", "start"));
        let g = TaskFilter::new(&[], &[], Some("setup › units".into()));
        assert!(g.reached("h1", "setup", "setup"));
        assert!(!g.reached("h1", "packages", "setup › packages"));
        assert!(!g.reached("h1", "units", "other › units"));
        assert!(g.reached("h1", "units", "setup › units"));
        assert!(TaskFilter::new(&[], &[], None).reached("h", "x", "x"));
    }
}
