//! `interlock import`: turn traffic and API descriptions a team already has into Interlock's
//! own formats.
//!
//! - [`har`]: a HAR 1.2 capture (browser devtools, Charles, mitmproxy) → a recording, streamed
//!   entry by entry and redacted before anything is written;
//! - [`openapi`]: an OpenAPI 3.0 / 3.1 or Swagger 2.0 document → one contract per operation plus
//!   the shared schemas they reference.
//!
//! Both write their output atomically: a failed import leaves nothing behind.

pub(crate) mod har;
pub(crate) mod openapi;
