//! rb's core, under the language layer: how commands reach hosts ([`transport`]), how work
//! fans out over hosts ([`fanout`], [`batches`]), and the event stream with its recap and
//! redaction ([`report`]). No scripting language and no terminal crates: the `rb` library
//! wraps these for Rhai, the `rb` binary prints them.

pub mod batches;
pub mod fanout;
pub mod report;
pub mod transport;
