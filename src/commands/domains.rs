//! `interlock domains`: learn value domains from recordings into `contracts/domains.yaml`.

use crate::cli::{DomainsArgs, GlobalArgs};
use crate::contract::domains::{DOMAINS_FILE, Domains};
use crate::error::{Error, InputError};

/// Runs `interlock domains`; returns the exit code.
pub(crate) fn run(args: &DomainsArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    let contracts = crate::contract::load_contracts(&config.contracts)?;
    let sources = if args.recordings.is_empty() {
        crate::domains::scenario_sources(&config.scenarios)?
    } else {
        crate::domains::file_sources(&args.recordings)?
    };
    let learned = crate::domains::learn(&sources, &contracts, contracts.domains())?;
    if learned.bodies == 0 {
        return Err(InputError::usage(
            "the recordings hold no JSON response of a contracted exchange to learn from",
        )
        .with_hint("give recordings whose exchanges a contract covers, e.g. `interlock domains scenarios/*/crm.jsonl`")
        .into());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::first_contracts_dir(&config).join(DOMAINS_FILE));
    let header = format!(
        "Value domains learned by `interlock domains` from {} response bodies{} in {} recordings on {}.\n\
         Review it like code: `interlock run` reports a live value outside its field's domain as\n\
         domain-drift. Edit values by hand, or set `severity: info` to report without failing.",
        learned.bodies,
        peer_requests(learned.requests),
        learned.recordings,
        time::OffsetDateTime::now_utc().date()
    );
    let yaml = learned
        .domains
        .to_yaml(&header)
        .map_err(|err| Error::environment(format!("cannot write the domains as YAML: {err}")))?;
    crate::fsutil::write_atomic(&out, yaml.as_bytes())?;
    let fields = count_fields(&learned.domains);
    super::inform_after(
        global,
        &out,
        format_args!(
            "learned {fields} {} of {} {} from {} response bodies{} into {}{}",
            if fields == 1 { "field" } else { "fields" },
            learned.domains.interfaces.len(),
            if learned.domains.interfaces.len() == 1 {
                "interface"
            } else {
                "interfaces"
            },
            learned.bodies,
            peer_requests(learned.requests),
            out.display(),
            match learned.uncovered {
                0 => String::new(),
                n => format!(" ({n} exchanges no contract covers were left out)"),
            }
        ),
    );
    Ok(crate::exit_code::OK)
}

/// ` and 7 peer requests`, or nothing.
fn peer_requests(n: u64) -> String {
    match n {
        0 => String::new(),
        1 => " and 1 peer request".to_string(),
        n => format!(" and {n} peer requests"),
    }
}

fn count_fields(domains: &Domains) -> usize {
    domains
        .interfaces
        .values()
        .map(|i| i.request.len() + i.responses.values().map(|r| r.len()).sum::<usize>())
        .sum()
}
