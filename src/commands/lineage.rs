//! `interlock lineage`: learn field lineage from the scenarios into `contracts/lineage.yaml`.

use crate::cli::{GlobalArgs, LineageArgs};
use crate::contract::lineage::LINEAGE_FILE;
use crate::error::{Error, InputError};

/// Runs `interlock lineage`; returns the exit code.
pub(crate) fn run(args: &LineageArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let config = super::config(global)?;
    let contracts = crate::contract::load_contracts(&config.contracts)?;
    let learned = crate::lineage::learn(&config.scenarios, &contracts)?;
    if learned.peer_calls == 0 {
        return Err(InputError::usage(
            "no scenario recording holds a contracted exchange with contracted peer calls to learn from",
        )
        .with_hint("lineage follows values from the target's exchanges into the requests it sends its peers; give scenarios with peers and recordings")
        .into());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| super::first_contracts_dir(&config).join(LINEAGE_FILE));
    let header = format!(
        "Field lineage learned by `interlock lineage` from {} peer calls in {} scenarios on {}.\n\
         Review it like code: `interlock run` reports a mapping with held == seen that no longer\n\
         holds live as lineage-broken. Delete a mapping that is a coincidence.",
        learned.peer_calls,
        learned.scenarios,
        time::OffsetDateTime::now_utc().date()
    );
    let yaml = learned
        .lineage
        .to_yaml(&header)
        .map_err(|err| Error::environment(format!("cannot write the lineage as YAML: {err}")))?;
    crate::fsutil::write_atomic(&out, yaml.as_bytes())?;
    let n = learned.lineage.mappings.len();
    super::inform_after(
        global,
        &out,
        format_args!(
            "learned {n} {} ({} always held) from {} peer calls into {}",
            if n == 1 { "mapping" } else { "mappings" },
            learned
                .lineage
                .mappings
                .iter()
                .filter(|m| m.always_held())
                .count(),
            learned.peer_calls,
            out.display()
        ),
    );
    Ok(crate::exit_code::OK)
}
