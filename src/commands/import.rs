//! `interlock import har|openapi`: bring in captures and published API descriptions.

use crate::cli::{GlobalArgs, HarArgs, ImportArgs, ImportCommand, OpenApiArgs};
use crate::error::{Error, InputError};
use crate::import::{har, openapi};

/// Runs `interlock import …`; returns the exit code.
pub(crate) fn run(args: &ImportArgs, global: &GlobalArgs) -> Result<u8, Error> {
    match &args.command {
        ImportCommand::Har(args) => har(args, global),
        ImportCommand::Openapi(args) => openapi(args, global),
    }
}

/// Runs `interlock import har`.
fn har(args: &HarArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let options = har_options(args)?;
    let config = super::config(global)?;
    let redactor = crate::redact::Redactor::from_config(&config.redact, &config.file)?;
    let summary = har::import(&args.file, &args.out, &options, &mut |exchange| {
        redactor.redact_exchange(exchange);
    })?;
    super::inform_after(
        global,
        &args.out,
        format_args!("{}", har::describe(&summary, &args.file, &args.out)),
    );
    Ok(crate::exit_code::OK)
}

fn har_options(args: &HarArgs) -> Result<har::Options, Error> {
    if let Some(prefix) = &args.path_prefix
        && !prefix.starts_with('/')
    {
        return Err(
            InputError::usage(format!("--path-prefix `{prefix}` must start with `/`"))
                .with_hint(format!("e.g. --path-prefix /{prefix}"))
                .into(),
        );
    }
    Ok(har::Options {
        host: args.host.clone(),
        path_prefix: args.path_prefix.clone(),
        strip_prefix: args.strip_prefix,
        peer: args.peer.clone(),
    })
}

/// Runs `interlock import openapi`.
fn openapi(args: &OpenApiArgs, global: &GlobalArgs) -> Result<u8, Error> {
    let doc = crate::json::read_value(&args.spec)?;
    let options = openapi::Options {
        provider: args.provider.clone(),
        consumers: args.consumers.clone(),
        lenient: args.lenient,
    };
    let converted = openapi::convert(&args.spec, &doc, &options)?;
    openapi::write(&converted, &args.spec, &args.out)?;
    for quirk in &converted.quirks {
        crate::outln!("repaired: {quirk}");
    }
    super::inform(
        global,
        format_args!(
            "imported {} operations ({} contracts, {} shared schemas) from {} into {}",
            converted.contracts.len(),
            converted.contracts.len(),
            converted.schemas.len(),
            args.spec.display(),
            args.out.display()
        ),
    );
    Ok(crate::exit_code::OK)
}
