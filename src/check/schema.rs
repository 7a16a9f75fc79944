//! Contract checks of a live exchange.
