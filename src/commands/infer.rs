//! `interlock infer`: draft contracts from recorded traffic, for review.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cli::InferArgs;
use crate::error::{Error, InputError};
use crate::infer;
use crate::recording;

/// Runs `interlock infer`.
pub(crate) fn run(args: &InferArgs) -> Result<u8, Error> {
    let mut exchanges = Vec::new();
    let mut errors = Vec::new();
    for path in &args.recordings {
        match recording::read(path) {
            Ok(rec) => {
                let provider = args
                    .provider
                    .clone()
                    .unwrap_or_else(|| infer::default_provider(path, &rec));
                let source = path.display().to_string();
                exchanges.extend(
                    rec.exchanges
                        .into_iter()
                        .map(|(_, e)| (provider.clone(), source.clone(), e)),
                );
            }
            Err(mut errs) => errors.append(&mut errs),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    if exchanges.is_empty() {
        return Err(InputError::usage("the recordings hold no exchanges to learn from").into());
    }
    let settings = infer::schema::Settings {
        enum_threshold: args.enum_threshold,
    };
    let drafts = infer::draft(&exchanges, &settings);
    let files: BTreeMap<&String, &Value> = drafts.iter().collect();
    crate::import::openapi::write_files(&files, &args.out)?;
    crate::outln!(
        "drafted {} {} from {} exchanges into {} (review them: they are marked as drafts)",
        drafts.len(),
        if drafts.len() == 1 {
            "contract"
        } else {
            "contracts"
        },
        exchanges.len(),
        args.out.display()
    );
    Ok(crate::exit_code::OK)
}
