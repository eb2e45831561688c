//! Field checks shared by several endpoints. They run before any write, so a request with a bad
//! field is answered 422 naming it and changes nothing.

use tokio_postgres::Transaction;

use crate::{ApiError, FieldError};

/// Collects field errors; `finish` turns them into one 422.
#[derive(Debug, Default)]
pub(crate) struct Fields(pub Vec<FieldError>);

impl Fields {
    pub(crate) fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was wrong, else a 422 with every field.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::validation(self.0)) }
    }
}

/// A display name: 1 to `max` characters, not only spaces.
pub(crate) fn check_name(fields: &mut Fields, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        fields.push(field, "must not be empty");
    } else if value.chars().count() > max {
        fields.push(field, format!("must be at most {max} characters"));
    }
}

/// A workspace slug as the table accepts it: lowercase letters, digits and inner dashes, 1-63.
pub(crate) fn check_slug(fields: &mut Fields, field: &str, slug: &str) {
    let ok = (1..=63).contains(&slug.len())
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !ok {
        fields.push(field, "use 1-63 lowercase letters, digits and dashes, not starting or ending with a dash");
    }
}

/// An IANA zone that both chrono-tz (which expands schedules) and PostgreSQL (whose check
/// constraints guard the tables) accept.
pub(crate) async fn check_time_zone(tx: &Transaction<'_>, fields: &mut Fields, field: &str, zone: &str) -> Result<(), ApiError> {
    let known_here = postiz_schedule::parse_zone(zone).is_some();
    let known_there =
        known_here && tx.query_one("select coalesce(postiz_private.is_valid_time_zone($1), false)", &[&zone]).await?.get::<_, bool>(0);
    if !known_there {
        fields.push(field, format!("{zone:?} is not an IANA time zone name such as Europe/Berlin"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_table_check() {
        for (slug, ok) in [("acme", true), ("a", true), ("acme-2", true), ("-acme", false), ("Acme", false), ("a_b", false), ("", false)] {
            let mut f = Fields::default();
            check_slug(&mut f, "slug", slug);
            assert_eq!(f.is_empty(), ok, "{slug:?}");
        }
        let mut f = Fields::default();
        check_slug(&mut f, "slug", &"a".repeat(64));
        assert!(!f.is_empty());
    }
}
