//! Python's `shlex.split(line, comments=True)` (POSIX mode), which ansible-core's INI plugin
//! uses for host lines: quotes group and are removed, backslash escapes, `#` starts a comment.

pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '#' => break,
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => cur.push(n),
                    None => return Err("No escaped character".into()),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => cur.push(n),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // In double quotes a backslash escapes only `\` and `"` (and `$`, `` ` ``).
                        Some('\\') => match chars.peek() {
                            Some(&n @ ('\\' | '"' | '$' | '`')) => {
                                cur.push(n);
                                chars.next();
                            }
                            _ => cur.push('\\'),
                        },
                        Some(n) => cur.push(n),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn like_python_shlex() {
        assert_eq!(
            split(r#"h c="say \"hi\"" d='x y' e=a\ b # note"#).unwrap(),
            ["h", "c=say \"hi\"", "d=x y", "e=a b"]
        );
        assert_eq!(split("h a=b#c").unwrap(), ["h", "a=b"]);
        assert!(split("h a='x").is_err());
    }
}
