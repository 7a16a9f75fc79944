//! `interlock record`: check the flags, read the project's redaction rules and contracts, and
//! run the recording proxy until SIGINT or SIGTERM.

use std::time::Duration;

use crate::cli::{GlobalArgs, RecordArgs};
use crate::config::Config;
use crate::contract::{self, ContractSet};
use crate::error::{Error, InputError};
use crate::record::{self, Recorder};
use crate::redact::Redactor;

/// Runs `interlock record` until SIGINT or SIGTERM; returns the exit code.
pub(crate) fn run(args: &RecordArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let upstream = parse_upstream(&args.upstream)?;
    let listen = parse_listen(&args.listen)?;
    if !(args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(InputError::usage(format!(
            "--timeout {} is out of range (0 < t ≤ 3600 seconds)",
            args.timeout
        ))
        .into());
    }
    let config = super::config(global)?;
    let redactor = Redactor::from_config(&config.redact, &config.file)?;
    let contracts = project_contracts(&config);
    let recorder = Recorder {
        upstream,
        listen,
        out: args.out.clone(),
        peer: args.peer.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
        fsync: !args.no_fsync,
        quiet: global.verbosity().is_quiet(),
    };
    super::runtime()?.block_on(record::serve(&recorder, redactor, contracts))
}

/// The project's contracts when its contract directories exist and load; an exchange then
/// carries the `interface` of the contract matching its method and path. Without them the
/// recorder records all the same.
fn project_contracts(config: &Config) -> ContractSet {
    if config.contracts.iter().any(|dir| !dir.is_dir()) {
        return ContractSet::default();
    }
    match contract::load_contracts(&config.contracts) {
        Ok(set) => set,
        Err(err) => {
            eprintln!(
                "interlock record: exchanges are recorded without `interface`, because the contracts do not load:\n{err}"
            );
            ContractSet::default()
        }
    }
}

fn parse_upstream(text: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::from(
            InputError::usage(format!("--upstream `{text}` {why}")).with_hint(
                "e.g. --upstream http://localhost:8080 or https://erp.staging.example.com/api",
            ),
        )
    };
    let url = url::Url::parse(text).map_err(|err| bad(&format!("is not a URL: {err}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must not have a query or fragment (the client's are used)",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn parse_listen(text: &str) -> Result<String, Error> {
    let valid = text
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if valid {
        Ok(text.to_string())
    } else {
        Err(
            InputError::usage(format!("--listen `{text}` is not HOST:PORT"))
                .with_hint("e.g. --listen 127.0.0.1:8099, or 127.0.0.1:0 for a free port")
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_and_listen_validation() {
        assert_eq!(
            parse_upstream("http://localhost:9000/api/").unwrap(),
            "http://localhost:9000/api"
        );
        assert!(parse_upstream("localhost:9000").is_err());
        assert!(parse_upstream("ftp://x").is_err());
        assert!(parse_upstream("http://x/?a=1").is_err());
        assert!(parse_listen("127.0.0.1:0").is_ok());
        assert!(parse_listen("[::1]:8080").is_ok());
        assert!(parse_listen("8080").is_err());
        assert!(parse_listen("localhost:http").is_err());
    }
}
