//! Small shared pieces.

mod badges;
mod feedback;

pub use badges::{NetworkBadge, StatusBadge, network_name};
pub use feedback::{ErrorBox, FieldMessage, Loading};
