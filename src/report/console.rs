//! console reporter (in progress).
