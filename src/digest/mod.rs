//! Digests, the adapter half (docs/DIGESTS.md): a [`round`] reads the store, decides and renders
//! with the pure core (`core::digest`) and queues each digest in the outbox exactly once;
//! [`worker`] runs rounds on the schedule inside `outloud run`; [`commands`] are
//! `outloud digest|audience|directory …`; [`recipients`] turns what the store knows of people
//! into recipients; [`replies`] and [`unsubscribe`] act on mail answering a digest.

pub mod commands;
pub mod recipients;
pub mod replies;
pub mod round;
pub mod unsubscribe;
pub mod worker;

pub use round::{run_round, DigestError, DigestSettings, RoundOptions, RoundReport};
