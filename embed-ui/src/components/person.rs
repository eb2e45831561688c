//! A person as the team knows them: avatar (or initials) and name, never a user id.

use leptos::prelude::*;

/// Initials of a name ("Olivia Owner" → "OO", "ed@example.com" → "E").
pub fn initials(name: &str) -> String {
    let name = name.split('@').next().unwrap_or(name);
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

/// A person: their avatar when they have one (an https URL from their profile), else their
/// initials, then their name. `name` None: someone no longer in the workspace.
#[component]
pub fn Person(
    /// Their name (profile name or email), None for a former member.
    name: Option<String>,
    /// Their avatar URL, if any.
    #[prop(default = None)]
    avatar_url: Option<String>,
) -> impl IntoView {
    let shown = name.clone().unwrap_or_else(|| "Former member".to_owned());
    let face = match avatar_url.filter(|u| u.starts_with("https://")) {
        Some(url) => view! { <img class="postiz-avatar" src=url alt="" width="20" height="20" referrerpolicy="no-referrer"/> }.into_any(),
        None => view! { <span class="postiz-avatar postiz-avatar-initials" aria-hidden="true">{initials(&shown)}</span> }.into_any(),
    };
    view! { <span class="postiz-person">{face}<span class="postiz-person-name">{shown}</span></span> }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_come_from_the_name_or_the_email() {
        assert_eq!(initials("Olivia Owner"), "OO");
        assert_eq!(initials("ed@example.com"), "E");
        assert_eq!(initials("Former member"), "FM");
    }
}
