//! json reporter (in progress).
