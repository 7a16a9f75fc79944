//! `interlock review` (interactive), `interlock accept` and `interlock reject` (for scripts):
//! deciding about pending snapshots.

use std::io::IsTerminal;

use crate::cli::{DecideArgs, GlobalArgs, ReviewArgs};
use crate::error::{Error, InputError};
use crate::review::{self, Decision};
use crate::snapshot::pending;

/// `interlock accept` / `interlock reject`: decides every pending snapshot of the selection and
/// prints one line per file.
pub(crate) fn decide(
    args: &DecideArgs,
    global: &GlobalArgs,
    decision: Decision,
) -> Result<u8, Error> {
    let verb = match decision {
        Decision::Accept => "accept",
        Decision::Reject => "reject",
    };
    if !args.all && args.scenarios.is_empty() {
        return Err(
            InputError::usage(format!("`interlock {verb}` needs scenario names or --all"))
                .with_hint(format!(
                    "e.g. `interlock {verb} customer-onboarding`, or `interlock {verb} --all`"
                ))
                .into(),
        );
    }
    let found = pending::find(&super::config(global)?.scenarios, &args.scenarios)?;
    if found.is_empty() {
        super::inform(global, format_args!("No pending snapshots."));
        return Ok(crate::exit_code::OK);
    }
    for item in &found {
        decision.apply(item)?;
        super::inform(
            global,
            format_args!("{} {}", decision.past(), item.new.display()),
        );
    }
    super::inform(
        global,
        format_args!(
            "{} {} snapshot{}",
            decision.past(),
            found.len(),
            if found.len() == 1 { "" } else { "s" }
        ),
    );
    Ok(crate::exit_code::OK)
}

/// `interlock review`: the interactive review on the terminal.
pub(crate) fn review(args: &ReviewArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let found = pending::find(&super::config(global)?.scenarios, &args.scenarios)?;
    if found.is_empty() {
        super::inform(global, format_args!("No pending snapshots."));
        return Ok(crate::exit_code::OK);
    }
    if !std::io::stdin().is_terminal() {
        return Err(InputError::usage(format!(
            "`interlock review` is interactive, but its input is not a terminal ({} pending snapshot{})",
            found.len(),
            if found.len() == 1 { "" } else { "s" }
        ))
        .with_hint("in scripts use `interlock accept [--all | SCENARIO…]` or `interlock reject [--all | SCENARIO…]`")
        .into());
    }
    let colour = global.color.for_stdout();
    let stdin = std::io::stdin();
    let mut session =
        review::interactive::Session::new(stdin.lock(), crate::fsutil::stdout(), colour);
    session.run(&found)?;
    Ok(crate::exit_code::OK)
}
