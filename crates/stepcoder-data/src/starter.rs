//! Reading a problem's kind off its starter code.

use stepcoder_core::ProblemKind;

/// Name of the first `def NAME(` in `code`, with its parameter text.
fn first_def(code: &str) -> Option<(&str, &str)> {
    code.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("def ")?;
        let open = rest.find('(')?;
        let name = rest[..open].trim();
        let params = rest[open + 1..].split(')').next().unwrap_or("");
        (!name.is_empty()).then_some((name, params))
    })
}

fn first_class(code: &str) -> Option<&str> {
    code.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("class ")?;
        let end = rest.find(['(', ':']).unwrap_or(rest.len());
        let name = rest[..end].trim();
        (!name.is_empty()).then_some(name)
    })
}

/// APPS+ convention: `class X:` with a method -> method call; `def f():` with no
/// parameters -> a stdin program wrapped in `f`; `def f(a, b)` -> function call.
/// `None` when the starter code has no `def` at all.
pub(crate) fn kind_from_starter(starter: &str) -> Option<ProblemKind> {
    let (name, params) = first_def(starter)?;
    if let Some(class) = first_class(starter) {
        return Some(ProblemKind::Method {
            class: class.to_string(),
            name: name.to_string(),
        });
    }
    if params.trim().is_empty() {
        Some(ProblemKind::Stdio {
            entry: Some(name.to_string()),
        })
    } else {
        Some(ProblemKind::Function {
            name: name.to_string(),
        })
    }
}

/// Call-based kind for APPS data, which names the function in `fn_name`.
pub(crate) fn call_kind(starter: &str, fn_name: &str) -> ProblemKind {
    match first_class(starter) {
        Some(class) => ProblemKind::Method {
            class: class.to_string(),
            name: fn_name.to_string(),
        },
        None => ProblemKind::Function {
            name: fn_name.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_apps_plus_kinds() {
        assert_eq!(
            kind_from_starter("\ndef FsxrN():\n"),
            Some(ProblemKind::Stdio {
                entry: Some("FsxrN".into())
            })
        );
        assert_eq!(
            kind_from_starter(
                "\nclass Solution:\n    def countTriplets(self, A: List[int]) -> int:\n"
            ),
            Some(ProblemKind::Method {
                class: "Solution".into(),
                name: "countTriplets".into()
            })
        );
        assert_eq!(
            kind_from_starter("\ndef highest_age(group1,group2):\n"),
            Some(ProblemKind::Function {
                name: "highest_age".into()
            })
        );
        assert_eq!(kind_from_starter(""), None);
    }
}
