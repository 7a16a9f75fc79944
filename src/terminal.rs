//! How output looks on a terminal or in a CI log: the colour choice (`--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE`, `FORCE_COLOR`) and the verbosity (`-q`, `-v`), decided once for every
//! command.
//!
//! Colour follows the conventions of cargo, ripgrep and <https://no-color.org>:
//!
//! | `--color` | environment | colour |
//! |---|---|---|
//! | `always` | anything | on |
//! | `never` | anything | off |
//! | `auto` (default) | `NO_COLOR` non-empty | off |
//! | `auto` | `CLICOLOR_FORCE` or `FORCE_COLOR` non-empty and not `0` | on |
//! | `auto` | neither | on when the stream is a terminal |

use std::ffi::OsString;
use std::io::IsTerminal;

/// `--color`: when to use ANSI colour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set; forced by `CLICOLOR_FORCE` or `FORCE_COLOR`.
    #[default]
    Auto,
    /// Always, even when piped and whatever `NO_COLOR` says.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether a stream gets colour, given the environment (`env` reads a variable) and
    /// whether the stream is a terminal.
    pub fn enabled(self, env: &dyn Fn(&str) -> Option<OsString>, is_terminal: bool) -> bool {
        let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
        let forced = |name: &str| env(name).is_some_and(|v| !v.is_empty() && v != "0");
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") => true,
            ColorChoice::Auto => is_terminal,
        }
    }

    /// Whether standard output gets colour, from the process environment.
    pub fn for_stdout(self) -> bool {
        self.enabled(
            &|name| std::env::var_os(name),
            std::io::stdout().is_terminal(),
        )
    }
}

/// `-q` / `-v`: how much a command says besides its result and its errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// `-q`: results and failures only; no progress, no "done" lines.
    Quiet,
    #[default]
    Normal,
    /// `-v`: detail that is cheap to give, on standard error.
    Verbose,
}

impl Verbosity {
    /// From the `-q` and `-v` flags (which clap keeps from being given together).
    pub fn from_flags(quiet: bool, verbose: bool) -> Self {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }

    pub fn is_quiet(self) -> bool {
        self == Verbosity::Quiet
    }

    pub fn is_verbose(self) -> bool {
        self == Verbosity::Verbose
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn auto_follows_the_terminal_and_the_environment() {
        let auto = ColorChoice::Auto;
        assert!(auto.enabled(&env(&[]), true));
        assert!(!auto.enabled(&env(&[]), false));
        assert!(!auto.enabled(&env(&[("NO_COLOR", "1")]), true));
        assert!(auto.enabled(&env(&[("NO_COLOR", "")]), true));
        assert!(auto.enabled(&env(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(auto.enabled(&env(&[("FORCE_COLOR", "true")]), false));
        assert!(!auto.enabled(&env(&[("FORCE_COLOR", "0")]), false));
        assert!(!auto.enabled(&env(&[("CLICOLOR_FORCE", "")]), false));
        assert!(!auto.enabled(&env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]), true));
    }

    #[test]
    fn always_and_never_ignore_the_environment() {
        assert!(ColorChoice::Always.enabled(&env(&[("NO_COLOR", "1")]), false));
        assert!(!ColorChoice::Never.enabled(&env(&[("FORCE_COLOR", "1")]), true));
    }

    #[test]
    fn quiet_wins_over_verbose() {
        assert_eq!(Verbosity::from_flags(true, true), Verbosity::Quiet);
        assert_eq!(Verbosity::from_flags(false, true), Verbosity::Verbose);
        assert_eq!(Verbosity::from_flags(false, false), Verbosity::Normal);
    }
}
