//! A host as runbooks see it: a name, an address, its variables and the transport that
//! reaches it. Cheap to clone (everything behind Arcs), so Rhai can pass it around freely.

use crate::transport::{LocalTransport, Transport};
use rhai::Map;
use std::fmt;
use std::sync::Arc;

#[derive(Clone)]
pub struct Host {
    pub name: Arc<str>,
    pub addr: Arc<str>,
    pub vars: Arc<Map>,
    pub transport: Arc<dyn Transport>,
}

impl Host {
    /// The controller: `local` in runbooks, and the host of a bare `sh(...)`.
    pub fn local() -> Host {
        Host {
            name: "local".into(),
            addr: "127.0.0.1".into(),
            vars: Arc::new(Map::new()),
            transport: Arc::new(LocalTransport),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Host({})", self.name)
    }
}
