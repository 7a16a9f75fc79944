//! Contract version comparison (in progress).
