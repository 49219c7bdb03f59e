//! The `nguon` binary's library: command line, configuration and demo data loading. It wires the
//! other crates together and holds no rules of its own.

pub mod cli;
pub mod config;
pub mod demo;
pub mod exchange;
pub mod labels;
