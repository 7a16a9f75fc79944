//! Small readers of SQL text: quoted literals, and statements split the way the server splits
//! them (quotes, dollar quotes and comments respected).

/// Every `'single-quoted'` literal in `text`, with `''` read as one quote.
pub(crate) fn quoted_literals(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    break;
                }
            } else {
                value.push(c);
            }
        }
        values.push(value);
    }
    values
}

/// The statements of a script, each trimmed, comments dropped; `;` inside quotes, dollar
/// quotes (`$$ … $$`, `$tag$ … $tag$`) and comments does not split.
pub(crate) fn statements(script: &str) -> Vec<String> {
    let chars: Vec<char> = script.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '-' if next == Some('-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                current.push(' ');
                continue;
            }
            '/' if next == Some('*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
                current.push(' ');
                continue;
            }
            '\'' | '"' => {
                current.push(c);
                i += 1;
                while i < chars.len() {
                    current.push(chars[i]);
                    i += 1;
                    if chars[i - 1] == c {
                        break;
                    }
                }
                continue;
            }
            '$' => {
                // `$tag$` opens a dollar quote that the same tag closes.
                let tag_end = chars[i + 1..]
                    .iter()
                    .position(|&t| !(t.is_alphanumeric() || t == '_'))
                    .map(|p| i + 1 + p);
                if let Some(end) = tag_end
                    && chars[end] == '$'
                {
                    let tag: String = chars[i..=end].iter().collect();
                    current.push_str(&tag);
                    let body_start = end + 1;
                    let rest: String = chars[body_start..].iter().collect();
                    match rest.find(&tag) {
                        Some(at) => {
                            let body_len = rest[..at].chars().count();
                            current.push_str(&rest[..at]);
                            current.push_str(&tag);
                            i = body_start + body_len + tag.chars().count();
                        }
                        None => {
                            current.push_str(&rest);
                            i = chars.len();
                        }
                    }
                    continue;
                }
            }
            ';' => {
                push_statement(&mut out, &current);
                current.clear();
                i += 1;
                continue;
            }
            _ => {}
        }
        current.push(c);
        i += 1;
    }
    push_statement(&mut out, &current);
    out
}

fn push_statement(out: &mut Vec<String>, text: &str) {
    let text = text.trim();
    if !text.is_empty() {
        out.push(text.to_owned());
    }
}

/// The first statement of `script` that ends or starts a transaction (`BEGIN`, `COMMIT`,
/// `ROLLBACK`, `END`, `START TRANSACTION`, …), which would break the rollback of a migration
/// check.
pub(crate) fn transaction_control(script: &str) -> Option<String> {
    const WORDS: &[&str] = &["begin", "commit", "rollback", "end", "start", "abort"];
    statements(script).into_iter().find(|s| {
        let first = s
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        WORDS.contains(&first.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_respect_quotes_dollar_quotes_and_comments() {
        let script = "-- a comment; not split\nALTER TABLE t ADD c text DEFAULT 'a;b';\n\
                      CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN RETURN 1; END; $fn$ LANGUAGE plpgsql;\n\
                      /* COMMIT; */ UPDATE t SET c = 'x'";
        let found = statements(script);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[1].contains("END; $fn$"));
        assert_eq!(transaction_control(script), None);
        assert_eq!(
            transaction_control("ALTER TABLE t DROP c;\nCOMMIT;").as_deref(),
            Some("COMMIT")
        );
    }
}
