use leptos::prelude::*;

/// The display name of a network wire name.
pub fn network_name(n: &str) -> String {
    n.parse::<postiz_domain::Network>().map(|n| n.display_name().to_owned()).unwrap_or_else(|_| n.to_owned())
}

/// A post or target status.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let class = format!("postiz-badge postiz-status-{status}");
    let label = status.replace('_', " ");
    view! { <span class=class data-status=status>{label}</span> }
}

/// A network chip (initials, coloured by network).
#[component]
pub fn NetworkBadge(#[prop(into)] network: String) -> impl IntoView {
    let name = network_name(&network);
    let short: String = name.chars().take(2).collect();
    let class = format!("postiz-net postiz-net-{network}");
    view! { <span class=class title=name>{short}</span> }
}
