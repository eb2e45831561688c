//! The alert rules file parses and only uses metrics the worker exports.

use std::collections::BTreeSet;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    name: String,
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    alert: String,
    expr: String,
    #[serde(rename = "for")]
    for_: Option<String>,
    labels: std::collections::BTreeMap<String, String>,
    annotations: std::collections::BTreeMap<String, String>,
}

#[test]
fn alert_rules_parse_and_reference_only_exported_metrics() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/alerts/postiz-worker.rules.yml")).unwrap();
    let file: File = serde_norway::from_str(&text).expect("valid Prometheus rules YAML");
    let rules: Vec<&Rule> = file.groups.iter().flat_map(|g| &g.rules).collect();
    assert_eq!(file.groups[0].name, "postiz-worker");

    let names: BTreeSet<&str> = rules.iter().map(|r| r.alert.as_str()).collect();
    for wanted in ["PostizPublishFailureSpike", "PostizRepeatedTokenFailures", "PostizQueueBacklogOld", "PostizWorkerHeartbeatMissing"] {
        assert!(names.contains(wanted), "missing alert {wanted}");
    }
    for rule in &rules {
        assert_eq!(rule.expr.matches('(').count(), rule.expr.matches(')').count(), "{}: unbalanced parentheses", rule.alert);
        assert!(rule.labels.contains_key("severity"), "{}: no severity", rule.alert);
        assert!(rule.annotations.contains_key("summary"), "{}: no summary", rule.alert);
        if let Some(f) = &rule.for_ {
            assert!(f.ends_with('m') || f.ends_with('s'), "{}: bad duration {f}", rule.alert);
        }
        // Every postiz_* identifier in the expression is a metric the worker exports.
        let used: Vec<&str> =
            rule.expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.starts_with("postiz_")).collect();
        assert!(!used.is_empty(), "{}: uses no worker metric", rule.alert);
        for metric in used {
            assert!(postiz_worker::metrics::ALL.contains(&metric), "{}: unknown metric {metric}", rule.alert);
        }
    }
}
