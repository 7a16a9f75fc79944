//! `interlock man --out DIR`: roff man pages, `interlock.1` and one page per subcommand
//! (`interlock-run.1`, `interlock-import-har.1`, …), each written atomically.

use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::{Cli, GlobalArgs, ManArgs, VERSION};
use crate::error::Error;

/// Writes every page into `args.out`; returns the exit code.
pub(crate) fn run(args: &ManArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let mut command = Cli::command().disable_help_subcommand(true);
    // Building gives each subcommand its page name (`interlock-run`) and the global options.
    command.build();
    let mut written = Vec::new();
    write_pages(&command, &args.out, &mut written)?;
    if !global.verbosity().is_quiet() {
        crate::outln!(
            "wrote {} man pages to {}",
            written.len(),
            args.out.display()
        );
    }
    if global.verbosity().is_verbose() {
        for path in &written {
            eprintln!("wrote {}", path.display());
        }
    }
    Ok(crate::exit_code::OK)
}

/// The page of `command`, then those of its subcommands, depth first.
fn write_pages(
    command: &clap::Command,
    out: &std::path::Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), Error> {
    let page = clap_mangen::Man::new(command.clone()).source(format!("interlock {VERSION}"));
    let mut roff = Vec::new();
    page.render(&mut roff)
        .map_err(|err| Error::environment(format!("cannot render a man page: {err}")))?;
    let path = out.join(page.get_filename());
    crate::fsutil::write_atomic(&path, &roff)?;
    written.push(path);
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, out, written)?;
    }
    Ok(())
}
