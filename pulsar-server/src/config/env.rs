//! `${NAME}` in the config file: replaced by environment variable `NAME` before the file is
//! parsed, so secrets (a webhook URL, an SMTP password, a header's token) stay out of the
//! file. A reference belongs inside a double-quoted string: the value is escaped for one.
//! `$${` writes a literal `${`.

/// `text` with every `${NAME}` replaced by `lookup(NAME)`; an unset variable is an error
/// naming it and its line.
pub(crate) fn expand(
    text: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, (usize, String)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let line_of = |rest: &str| text[..text.len() - rest.len()].matches('\n').count() + 1;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let Some(end) = tail.find('}') else {
                return Err((line_of(after), "a `${` without its closing `}`".into()));
            };
            let name = &tail[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err((
                    line_of(after),
                    format!("`${{{name}}}` is not an environment variable name"),
                ));
            }
            let Some(value) = lookup(name) else {
                return Err((
                    line_of(after),
                    format!("environment variable {name} is not set"),
                ));
            };
            escape_into(&mut out, &value);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Writes `value` as the inside of a TOML basic string.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("a\"b\\c".into()),
            "HOOK" => Some("https://hooks.example/x".into()),
            _ => None,
        }
    }

    #[test]
    fn references_are_replaced_and_escaped_for_a_basic_string() {
        let text = "url = \"${HOOK}\"\ntoken = \"Bearer ${TOKEN}\"\nprice = \"$5 $${X}\"\n";
        let expanded = expand(text, env).unwrap();
        assert_eq!(
            expanded,
            "url = \"https://hooks.example/x\"\ntoken = \"Bearer a\\\"b\\\\c\"\nprice = \"$5 ${X}\"\n"
        );
        let parsed: toml::Table = toml::from_str(&expanded).unwrap();
        assert_eq!(parsed["token"].as_str(), Some("Bearer a\"b\\c"));
    }

    #[test]
    fn an_unset_or_malformed_reference_names_its_line() {
        assert_eq!(
            expand("a = 1\nb = \"${MISSING}\"\n", env),
            Err((2, "environment variable MISSING is not set".into()))
        );
        assert_eq!(expand("\n\nb = \"${OPEN\"", env).unwrap_err().0, 3);
        assert!(expand("b = \"${no-dash}\"", env).is_err());
    }
}
