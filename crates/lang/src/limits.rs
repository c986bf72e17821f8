//! Limits that keep a runaway runbook from eating the controller: set on the engine,
//! named in the error a runbook gets when it reaches one.

/// How deep calls may nest.
pub const MAX_CALL_LEVELS: usize = 256;
/// A value's size: string bytes, array items, map entries (Rhai counts what a container
/// holds, nested). A loop doubling a string stops with an error here instead of aborting
/// the process when memory runs out. 256 MiB holds any file `read` returns (64 MiB).
pub const MAX_STRING_BYTES: usize = 256 << 20;
pub const MAX_ARRAY_ITEMS: usize = 10_000_000;
pub const MAX_MAP_ENTRIES: usize = 1_000_000;

/// The size limits of a value: (string bytes, array items, map entries).
pub fn limits() -> (usize, usize, usize) {
    (MAX_STRING_BYTES, MAX_ARRAY_ITEMS, MAX_MAP_ENTRIES)
}
