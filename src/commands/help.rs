//! `rb man` and `rb doc`: the man pages and the reference, from the same sources as
//! docs/ (clap's definitions, the function table, the stdlib's own comments).

use super::usage;
use rb::Diagnostic;
use std::path::PathBuf;

/// `rb man [SUBCOMMAND]`, `rb man --dir DIR`: rb(1) and a page per subcommand, rb-run(1)
/// and the others rb(1) names under SEE ALSO.
pub fn man(subcommand: Option<String>, dir: Option<PathBuf>) -> Result<(), Diagnostic> {
    use clap::CommandFactory;
    let mut top = crate::cli::Cli::command();
    // Built, so clap's own `help` subcommand (named under SEE ALSO too) is there.
    top.build();
    let page = |cmd: clap::Command| -> Result<Vec<u8>, Diagnostic> {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| Diagnostic::plain(format!("cannot write the man page: {e}"), 1))?;
        Ok(out)
    };
    // Each subcommand's page is named rb-NAME, as rb(1)'s SEE ALSO names it.
    let sub = |name: &str| -> Option<clap::Command> {
        top.find_subcommand(name).map(|c| {
            c.clone()
                .name(format!("rb-{name}"))
                .bin_name(format!("rb {name}"))
        })
    };
    let names: Vec<String> = top
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    if let Some(dir) = dir {
        let write = |file: String, bytes: Vec<u8>| {
            std::fs::write(dir.join(&file), bytes).map_err(|e| {
                Diagnostic::plain(
                    format!("cannot write {}: {e}", dir.join(&file).display()),
                    1,
                )
            })
        };
        write("rb.1".into(), page(top.clone())?)?;
        for n in &names {
            if let Some(c) = sub(n) {
                write(format!("rb-{n}.1"), page(c)?)?;
            }
        }
        return Ok(());
    }
    let bytes = match subcommand {
        None => page(top.clone())?,
        Some(n) => match sub(&n) {
            Some(c) => page(c)?,
            None => {
                return Err(usage(format!(
                    "rb has no subcommand `{n}`{}; pages: rb, {}",
                    rb::did_you_mean(&n, names.iter().map(String::as_str)),
                    names
                        .iter()
                        .map(|n| format!("rb-{n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        },
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(&bytes)
        .map_err(|e| Diagnostic::plain(format!("cannot write the man page: {e}"), 1))
}

/// `rb doc [NAME]`: the reference's entry for NAME (the text `:help NAME` shows).
pub fn doc(name: Option<String>) -> Result<(), Diagnostic> {
    match name {
        None => {
            print!("{}", rb::docs::help_index());
            Ok(())
        }
        Some(n) => match rb::docs::help(&n) {
            Some(text) => {
                print!("{text}");
                Ok(())
            }
            None => Err(usage(rb::docs::no_help(&n))),
        },
    }
}
