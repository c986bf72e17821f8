//! Reporting: the event stream (redacted once, for every sink) and the recap. Printers
//! that turn it into terminal output live in the rb binary.

mod event;
mod recap;
mod secrets;

pub use event::{Event, Level, RecapRow};
pub use recap::Recap;
pub use secrets::{Encoder, Secret, Secrets, MIN_SECRET_CHARS, REDACTED};

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

/// What a variable whose Jinja could not be rendered becomes where it is turned into text:
/// a marker no real text holds (NUL), carrying why. Commands and files holding one are
/// refused with why ([`unrendered_reason`]); output shows why in its place.
pub fn unrendered_text(why: &str) -> String {
    format!("{UNRENDERED}{}\u{0}", why.replace('\u{0}', " "))
}

const UNRENDERED: &str = "\u{0}rb-unrendered:";

/// Why `text` holds a variable that could not be rendered, if it does.
pub fn unrendered_reason(text: &str) -> Option<String> {
    let start = text.find(UNRENDERED)? + UNRENDERED.len();
    let rest = &text[start..];
    Some(rest[..rest.find('\u{0}').unwrap_or(rest.len())].to_string())
}

/// `text` with each unrendered marker shown as `[cannot be rendered: WHY]`.
pub fn show_unrendered(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(UNRENDERED) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(UNRENDERED) {
        out.push_str(&rest[..i]);
        let after = &rest[i + UNRENDERED.len()..];
        let end = after.find('\u{0}').unwrap_or(after.len());
        out.push_str(&format!("[cannot be rendered: {}]", &after[..end]));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unrendered_markers_carry_why_and_show_it() {
        let t = format!("echo {} done", super::unrendered_text("undefined x"));
        assert_eq!(super::unrendered_reason(&t).as_deref(), Some("undefined x"));
        assert_eq!(
            super::show_unrendered(&t),
            "echo [cannot be rendered: undefined x] done"
        );
        assert_eq!(super::unrendered_reason("plain"), None);
        assert_eq!(super::show_unrendered("plain"), "plain");
    }

    use super::*;
    use std::sync::Mutex;

    fn cmd_result(host: &str, ok: bool, changed: bool, skipped: bool) -> Event {
        Event::CmdResult {
            host: host.into(),
            task: vec![],
            cmd: "true".into(),
            rc: if ok { 0 } else { 1 },
            ok,
            changed,
            skipped,
            duration: 0.0,
            checked: true,
        }
    }

    /// Every sink sees every event, redacted; the recap counts what the events say.
    #[test]
    fn events_reach_every_sink_redacted_and_are_counted() {
        let secrets = Secrets::default();
        let pw = secrets.add("hunter2");
        assert_eq!(pw.reveal(), "hunter2");
        assert_eq!(format!("{pw} {pw:?}"), "******** ********");
        let mut em = Emitter::new(secrets);
        let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
        for _ in 0..2 {
            let s = seen.clone();
            em.add_sink(Arc::new(move |e: &Event| s.lock().unwrap().push(e.clone())));
        }
        assert!(em.secrets().redact("x hunter2 y").contains(REDACTED));
        em.emit(Event::CmdStart {
            host: "h1".into(),
            task: vec!["login hunter2".into()],
            cmd: "echo hunter2".into(),
        });
        std::thread::sleep(std::time::Duration::from_millis(30));
        em.emit(cmd_result("h1", true, true, false));
        em.emit(cmd_result("h1", true, false, false));
        em.emit(cmd_result("h1", false, false, false));
        em.emit(cmd_result("h2", true, true, true));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 10, "both sinks, every event");
        assert_eq!(
            seen[0],
            Event::CmdStart {
                host: "h1".into(),
                task: vec![format!("login {REDACTED}")],
                cmd: format!("echo {REDACTED}"),
            }
        );
        assert!(!em.fanned_out());
        em.emit(Event::HostEnd {
            host: "h2".into(),
            ok: true,
            duration: 0.0,
        });
        assert!(em.fanned_out());
        em.emit(Event::HostFailed {
            host: "h3".into(),
            message: "no route".into(),
            unreachable: true,
        });
        em.mark_failed("h1", false);
        let rows = em.recap();
        let h1 = &rows[0];
        assert_eq!(
            (
                h1.host.as_str(),
                h1.ok,
                h1.changed,
                h1.failed,
                h1.unreachable,
                h1.skipped
            ),
            ("h1", 2, 1, 1, 0, 0)
        );
        assert!(
            h1.time >= 0.025 && h1.time < 5.0,
            "first to last command: {}",
            h1.time
        );
        let h2 = &rows[1];
        assert_eq!(
            (h2.host.as_str(), h2.ok, h2.changed, h2.skipped),
            ("h2", 0, 0, 1)
        );
        assert_eq!(h2.time, 0.0, "one command: no span");
        assert_eq!(
            (rows[2].host.as_str(), rows[2].unreachable, rows[2].failed),
            ("h3", 1, 0)
        );
        assert_eq!(rows.len(), 3);
        em.reset_recap();
        assert!(em.recap().is_empty());
        assert!(!em.fanned_out());
    }

    /// A command's output (`-v`) is redacted in every field a secret can reach.
    #[test]
    fn command_output_is_redacted() {
        let secrets = Secrets::default();
        secrets.add("s3cret");
        let mut em = Emitter::new(secrets);
        let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
        let s = seen.clone();
        em.add_sink(Arc::new(move |e: &Event| s.lock().unwrap().push(e.clone())));
        em.emit(Event::CmdOutput {
            host: "h1".into(),
            task: vec!["t s3cret".into()],
            cmd: "echo s3cret".into(),
            stdout: "out s3cret".into(),
            stderr: "err s3cret".into(),
        });
        assert_eq!(
            seen.lock().unwrap()[0],
            Event::CmdOutput {
                host: "h1".into(),
                task: vec![format!("t {REDACTED}")],
                cmd: format!("echo {REDACTED}"),
                stdout: format!("out {REDACTED}"),
                stderr: format!("err {REDACTED}"),
            }
        );
    }

    /// A command run with `check: false` that exits non-zero is the runbook's answer, not
    /// a failure: the recap counts it ok and never changed; a checked one counts neither.
    #[test]
    fn an_unchecked_command_that_exits_non_zero_counts_ok_and_unchanged() {
        let em = Emitter::new(Secrets::default());
        let mut probe = cmd_result("h1", false, true, false);
        if let Event::CmdResult { checked, .. } = &mut probe {
            *checked = false;
        }
        em.emit(probe);
        let h1 = &em.recap()[0];
        assert_eq!((h1.ok, h1.changed, h1.skipped), (1, 0, 0));
        em.emit(cmd_result("h1", false, true, false));
        let h1 = &em.recap()[0];
        assert_eq!((h1.ok, h1.changed, h1.skipped), (1, 0, 0));
    }
}
