//! Placeholder until the host benchmark lands.
fn main() {}
