//! `interlock import`: turn traffic and API descriptions a team already has into Interlock's
//! own formats.
//!
//! - [`har`]: a HAR 1.2 capture (browser devtools, Charles, mitmproxy) → a recording, streamed
//!   entry by entry and redacted before anything is written;
//! - [`openapi`]: an OpenAPI 3.0 / 3.1 or Swagger 2.0 document → one contract per operation plus
//!   the shared schemas they reference.
//!
//! Both write their output atomically: a failed import leaves nothing behind.

pub mod har;
pub mod openapi;

use clap::{Args, Subcommand};

use crate::error::Error;

/// Arguments of `interlock import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: ImportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Convert a HAR 1.2 capture into a recording (redacted on the way).
    Har(har::HarArgs),
    /// Convert an OpenAPI 3.0 / 3.1 or Swagger 2.0 document into contracts.
    Openapi(openapi::OpenApiArgs),
}

/// Runs `interlock import …`; returns the exit code.
pub fn run(args: &ImportArgs) -> Result<u8, Error> {
    match &args.command {
        ImportCommand::Har(har) => har::run(har),
        ImportCommand::Openapi(spec) => openapi::run(spec),
    }
}
