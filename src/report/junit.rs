//! junit reporter (in progress).
