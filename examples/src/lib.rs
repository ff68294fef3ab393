//! Shared nothing: see `examples/` for the programs.
