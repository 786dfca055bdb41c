//! The pure core of outloud, compiled on its own for the fuzzer: `core` and `model` are links
//! to the main crate's `src/core` and `src/model`, so the fuzzer runs exactly that code.
#![allow(dead_code)] // Only `core::exercise::exercise_all` is driven; the rest is what it calls.

pub mod core;
pub mod model;
