//! The scapkit engine.
