//! A problem with a network's settings on their own, found before anything is sent.

/// One problem with one settings field, worded for the person composing the post. Validation
/// turns it into a field error at `variants.<network>.settings.<field>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsProblem {
    /// The settings field, e.g. `privacy_level`.
    pub field: &'static str,
    /// Stable code (`required`, `too_long`, …).
    pub code: &'static str,
    /// What is wrong and what to change.
    pub message: String,
}
