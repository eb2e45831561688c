//! supabase/config.toml never exposes the private schema through the Data API.

#[test]
fn data_api_schemas_exclude_postiz_private() {
    let path = postiz_testkit::project_root().join("supabase/config.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().find(|l| l.trim_start().starts_with("schemas")).expect("an [api] schemas line");
    let list = line.split_once('=').unwrap().1;
    let schemas: Vec<&str> =
        list.trim().trim_matches(['[', ']']).split(',').map(|s| s.trim().trim_matches('"')).filter(|s| !s.is_empty()).collect();
    assert!(schemas.contains(&"postiz"), "{schemas:?}");
    assert!(!schemas.contains(&"postiz_private"), "postiz_private must never be exposed: {schemas:?}");
}
