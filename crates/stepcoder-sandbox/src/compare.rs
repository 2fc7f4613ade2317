//! Output comparison as APPS-family harnesses do it: exact first, then ignoring trailing
//! whitespace per line and trailing blank lines, then token by token with float tolerance.

use serde_json::Value;

/// Relative tolerance of float comparison (numpy `allclose` default, as in APPS).
pub const RTOL: f64 = 1e-5;
/// Absolute tolerance of float comparison when the problem gives none.
pub const ATOL: f64 = 1e-8;

fn close(a: f64, b: f64, atol: f64) -> bool {
    if a == b {
        return true;
    }
    a.is_finite() && b.is_finite() && (a - b).abs() <= atol + RTOL * b.abs()
}

fn normalized_lines(s: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

/// Whether a program's standard output `got` matches `expected`.
///
/// ```
/// use stepcoder_sandbox::compare::stdout_matches;
/// assert!(stdout_matches("1 2  \n\n", "1 2", None));
/// assert!(stdout_matches("0.3333333", "0.33333333", None));
/// assert!(!stdout_matches("1 3", "1 2", None));
/// ```
pub fn stdout_matches(got: &str, expected: &str, atol: Option<f64>) -> bool {
    if got == expected || normalized_lines(got) == normalized_lines(expected) {
        return true;
    }
    let atol = atol.unwrap_or(ATOL);
    let mut a = got.split_whitespace();
    let mut b = expected.split_whitespace();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                if x == y {
                    continue;
                }
                match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(p), Ok(q)) if close(p, q, atol) => continue,
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// Whether a returned value (as JSON) equals the expected one, as Python's `==` would after
/// tuples became lists: numbers compare by value (`1 == 1.0`, `True == 1`) with float tolerance.
///
/// ```
/// use serde_json::json;
/// use stepcoder_sandbox::compare::values_match;
/// assert!(values_match(&json!([1, 2.0]), &json!([1.0, 2]), None));
/// assert!(!values_match(&json!("1"), &json!(1), None));
/// ```
pub fn values_match(got: &Value, expected: &Value, atol: Option<f64>) -> bool {
    let tol = atol.unwrap_or(ATOL);
    match (got, expected) {
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| values_match(x, y, atol))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| values_match(x, y, atol)))
        }
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => match (number(got), number(expected)) {
            (Some(p), Some(q)) => {
                // Exact integers first: large ints lose precision as f64.
                if let (Value::Number(m), Value::Number(n)) = (got, expected) {
                    if let (Some(i), Some(j)) = (m.as_i64(), n.as_i64()) {
                        return i == j;
                    }
                }
                close(p, q, tol)
            }
            _ => false,
        },
    }
}
