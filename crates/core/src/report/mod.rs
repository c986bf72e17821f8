//! Reporting: the event stream (redacted once, for every sink) and the recap. Printers
//! that turn it into terminal output live in the rb binary.

mod event;
mod recap;
mod secrets;

pub use event::{Event, Level, RecapRow};
pub use recap::Recap;
pub use secrets::{Secret, Secrets, REDACTED};

use std::sync::Arc;

/// Something that receives events: a printer, or an embedder's callback.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// Fans events out to every sink, redacting secrets first.
#[derive(Clone, Default)]
pub struct Emitter {
    sinks: Vec<EventSink>,
    secrets: Secrets,
    recap: Arc<Recap>,
}

impl Emitter {
    pub fn new(secrets: Secrets) -> Self {
        Emitter {
            sinks: Vec::new(),
            secrets,
            recap: Arc::default(),
        }
    }

    pub fn reset_recap(&self) {
        self.recap.reset();
    }

    /// Count `host` as failed (or unreachable) in the recap without another event: the
    /// error event that follows tells the story.
    pub fn mark_failed(&self, host: &str, unreachable: bool) {
        self.recap.mark_failed(host, unreachable);
    }

    /// Whether an `on(...)`/`run_once` ran since the recap was last reset.
    pub fn fanned_out(&self) -> bool {
        self.recap.fanned_out()
    }

    /// The per-host totals so far.
    pub fn recap(&self) -> Vec<RecapRow> {
        self.recap.rows()
    }

    pub fn add_sink(&mut self, sink: EventSink) {
        self.sinks.push(sink);
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    pub fn emit(&self, mut event: Event) {
        let secrets = &self.secrets;
        event.map_text(&|s| secrets.redact(s));
        self.recap.observe(&event);
        for sink in &self.sinks {
            sink(&event);
        }
    }
}
