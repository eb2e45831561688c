#![doc = include_str!("../README.md")]

mod evergreen;
mod recurrence;
mod slots;
mod zone;

pub use evergreen::{EvergreenCandidate, EvergreenOrder, pick_evergreen};
pub use recurrence::{Recurrence, RecurrenceError};
pub use slots::{Slot, next_free_slot};
pub use zone::{parse_zone, resolve_local};
