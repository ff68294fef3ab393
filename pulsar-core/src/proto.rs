//! Generated protobuf messages of the `pulsar.v1` schema, with proto3-JSON serde impls.
//!
//! These are the wire types: queue payloads, bus events and API messages. Domain code works
//! with the Rust types in this crate and converts at the boundary.

/// `pulsar.v1`: the one schema everything that crosses a process boundary uses.
#[allow(
    missing_docs,
    unreachable_pub,
    clippy::all,
    clippy::pedantic,
    rust_2018_idioms
)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/pulsar.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/pulsar.v1.serde.rs"));
}

/// The encoded `FileDescriptorSet` of the schema, for reflection and tooling.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/pulsar_descriptor.bin"));
