//! Recorded-vs-live structural diff.
