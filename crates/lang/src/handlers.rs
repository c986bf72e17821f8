//! Handlers' state for a run: the handlers the runbook defined, in definition order, and
//! which of them each host was notified of. Running them is `api/handlers.rs`.

use rhai::FnPtr;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

#[derive(Default)]
pub struct Handlers {
    defined: Mutex<Vec<(String, FnPtr)>>,
    notified: Mutex<BTreeMap<String, BTreeSet<String>>>,
    /// `--force-handlers`: notified handlers run even when the run stops on a failure,
    /// and on the hosts that failed (Ansible's force_handlers).
    pub force: bool,
}

impl Handlers {
    pub fn new(force: bool) -> Self {
        Handlers {
            force,
            ..Default::default()
        }
    }

    /// Define handler `name`; a second definition of one name is an error.
    pub fn define(&self, name: &str, f: FnPtr) -> Result<(), String> {
        let mut d = self.defined.lock().unwrap_or_else(|e| e.into_inner());
        if d.iter().any(|(n, _)| n == name) {
            return Err(format!("handler {name:?} is defined twice"));
        }
        d.push((name.to_string(), f));
        Ok(())
    }

    /// Mark handler `name` to run on `host`. An unknown name is an error naming the closest.
    pub fn notify(&self, host: &str, name: &str) -> Result<(), String> {
        let d = self.defined.lock().unwrap_or_else(|e| e.into_inner());
        if !d.iter().any(|(n, _)| n == name) {
            let names: Vec<&str> = d.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!(
                "no handler {name:?}{}; define it first with handler({name:?}, |h| ...){}",
                crate::options::did_you_mean(name, names.iter().copied()),
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" (handlers: {})", names.join(", "))
                }
            ));
        }
        self.notified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(host.to_string())
            .or_default()
            .insert(name.to_string());
        Ok(())
    }

    /// The handlers `host` was notified of, in definition order; they are no longer pending.
    pub fn take(&self, host: &str) -> Vec<(String, FnPtr)> {
        let Some(names) = self
            .notified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(host)
        else {
            return Vec::new();
        };
        self.defined
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(n, _)| names.contains(n))
            .cloned()
            .collect()
    }

    /// The hosts with handlers pending.
    pub fn pending(&self) -> Vec<String> {
        self.notified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}
