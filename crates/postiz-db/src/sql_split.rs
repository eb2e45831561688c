//! Splits a SQL script into statements the way `psql` and the Supabase CLI see them.
//!
//! Semicolons inside quotes, quoted identifiers, comments and dollar-quoted bodies do not end a
//! statement. Statements made only of whitespace and comments are dropped.
//! Not handled: SQL-standard `BEGIN ATOMIC … END` function bodies (use a dollar-quoted body).

/// Splits `sql` into statements without their trailing semicolons, trimmed.
pub fn split_statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut meaningful = false; // the current statement has more than whitespace and comments
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i);
                continue;
            }
            b'\'' => {
                let escapes = i > 0 && matches!(bytes[i - 1], b'e' | b'E') && !is_ident(bytes, i - 1);
                i = skip_quoted(bytes, i, b'\'', escapes);
                meaningful = true;
                continue;
            }
            b'"' => {
                i = skip_quoted(bytes, i, b'"', false);
                meaningful = true;
                continue;
            }
            b'$' => {
                if let Some(end) = dollar_quote_end(sql, i) {
                    i = end;
                    meaningful = true;
                    continue;
                }
            }
            b';' => {
                if meaningful {
                    out.push(sql[start..i].trim().to_owned());
                }
                start = i + 1;
                meaningful = false;
            }
            c if !c.is_ascii_whitespace() => meaningful = true,
            _ => {}
        }
        i += 1;
    }
    if meaningful {
        out.push(sql[start..].trim().to_owned());
    }
    out
}

/// True when the byte at `i` continues an identifier (so `e'` is `name'…`, not an E-string).
fn is_ident(bytes: &[u8], i: usize) -> bool {
    i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b'$')
}

fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    // Postgres block comments nest.
    let mut depth = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

fn skip_quoted(bytes: &[u8], open: usize, quote: u8, backslash_escapes: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if backslash_escapes && bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2; // doubled quote is an escaped quote
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// If a dollar-quote opens at `i`, returns the index just past its closing tag.
fn dollar_quote_end(sql: &str, i: usize) -> Option<usize> {
    let bytes = sql.as_bytes();
    if is_ident(bytes, i) {
        return None; // `$` inside an identifier such as `a$b`
    }
    let rest = &sql[i + 1..];
    let tag_len = rest.find('$')?;
    let tag = &rest[..tag_len];
    let valid_tag = tag.is_empty()
        || (tag.starts_with(|c: char| c.is_alphabetic() || c == '_') && tag.chars().all(|c| c.is_alphanumeric() || c == '_'));
    if !valid_tag {
        return None; // `$1` and friends are parameters, not quotes
    }
    let delimiter = &sql[i..i + tag_len + 2];
    let body_start = i + delimiter.len();
    let close = sql[body_start..].find(delimiter)?;
    Some(body_start + close + delimiter.len())
}

#[cfg(test)]
mod tests {
    use super::split_statements;

    #[test]
    fn splits_plain_statements_and_drops_empty_ones() {
        let got = split_statements("create table a (id int);\n\n;  -- nothing\n select 1 ;");
        assert_eq!(got, vec!["create table a (id int)", "-- nothing\n select 1"]);
    }

    #[test]
    fn keeps_semicolons_inside_strings_identifiers_and_comments() {
        let sql = "insert into t values ('a;b', 'it''s;'); select \"odd;name\" from t; /* x; /* nested; */ y; */ select 2; -- c;\nselect 3";
        assert_eq!(
            split_statements(sql),
            vec![
                "insert into t values ('a;b', 'it''s;')",
                "select \"odd;name\" from t",
                "/* x; /* nested; */ y; */ select 2",
                "-- c;\nselect 3",
            ]
        );
    }

    #[test]
    fn keeps_dollar_quoted_bodies_whole() {
        let sql = "create function f() returns int language plpgsql as $$ begin perform 1; return 2; end $$;\n\
                   do $body$ begin raise notice 'a;$$;'; end $body$;";
        let got = split_statements(sql);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].ends_with("end $$"));
        assert!(got[1].starts_with("do $body$") && got[1].ends_with("$body$"));
    }

    #[test]
    fn positional_parameters_and_identifier_dollars_are_not_quotes() {
        let sql = "create function g(int) returns int language sql as 'select $1; ' ; select a$b from t; select 1";
        assert_eq!(split_statements(sql).len(), 3);
    }

    #[test]
    fn e_strings_honour_backslash_escapes() {
        // In E'a\';b' the quote is escaped; in a plain string a backslash is literal.
        let sql = "select E'a\\';b'; select 'c\\'; select 1";
        assert_eq!(split_statements(sql), vec!["select E'a\\';b'", "select 'c\\'", "select 1"]);
    }
}
