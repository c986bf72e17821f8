//! Reporting: the event stream and the printers that turn it into output.

mod event;
mod printer;
mod secrets;

pub use event::{Event, Level};
pub use printer::{HumanPrinter, JsonPrinter};
pub use secrets::{Secret, Secrets, REDACTED};

use std::sync::Arc;

/// Something that receives events: a printer, or an embedder's callback.
pub type EventSink = Arc<dyn Fn(&Event) + Send + Sync>;

/// Fans events out to every sink, redacting secrets first.
#[derive(Clone, Default)]
pub struct Emitter {
    sinks: Vec<EventSink>,
    secrets: Secrets,
}

impl Emitter {
    pub fn new(secrets: Secrets) -> Self {
        Emitter {
            sinks: Vec::new(),
            secrets,
        }
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
        for sink in &self.sinks {
            sink(&event);
        }
    }
}
