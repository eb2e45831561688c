//! Small shared pieces.

mod auth_image;
mod badges;
pub mod charts;
mod feedback;
mod person;

pub use auth_image::AuthImage;
pub use badges::{NetworkBadge, StatusBadge, network_name};
pub use feedback::{ErrorBox, FieldMessage, Loading, describe};
pub use person::Person;
