//! Placeholder until the probe benchmark lands.
fn main() {}
