//! prefix + rest == canonical for every stage of every real problem; prefixes on tricky text.

use stepcoder_core::{CurriculumSchedule, Problem};
use stepcoder_curriculum::{extract_scopes, ProblemCurriculum, StepConfig, StepSchedule};
use stepcoder_data::Format;

fn check_every_stage(problems: &[Problem]) -> (usize, usize) {
    let mut stages = 0;
    for p in problems {
        let c = ProblemCurriculum::new(p).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        assert_eq!(
            c.num_stages(),
            stepcoder_curriculum::ceil_sqrt(c.num_cuts()).max(1)
        );
        let mut last_len = usize::MAX;
        for stage in 0..c.num_stages() {
            let (prefix, rest) = c.split(stage).unwrap();
            assert_eq!(
                format!("{prefix}{rest}"),
                p.canonical_solution,
                "{} stage {stage}",
                p.id
            );
            assert!(prefix.is_empty() || prefix.ends_with('\n'), "{}", p.id);
            if stage == 0 {
                assert!(prefix.is_empty());
            } else {
                // Higher stages give longer (or equal) prefixes.
                assert!(last_len == usize::MAX || prefix.len() >= last_len);
                // The rest starts at the cut line, at its indentation.
                let indent = c.indentation(stage).unwrap();
                assert!(rest.starts_with(indent));
            }
            last_len = if stage == 0 { 0 } else { prefix.len() };
            stages += 1;
        }
    }
    (problems.len(), stages)
}

#[test]
fn every_stage_of_valid_350_rejoins_to_the_canonical_solution() {
    let Some(path) = crate::data::shared("apps_plus/valid_350.json") else {
        return;
    };
    let ds = stepcoder_data::load(&path, Format::Auto).unwrap();
    assert_eq!(ds.problems.len(), 350);
    let (n, stages) = check_every_stage(&ds.problems);
    eprintln!("valid_350: {n} problems, {stages} stages checked");
    // The schedule's plan is the same prefix.
    let s = StepSchedule::new(StepConfig::default(), &ds.problems).unwrap();
    for p in &ds.problems {
        let plan = s.plan(p);
        assert!(p.canonical_solution.starts_with(&plan.prefix));
    }
}

#[test]
fn every_stage_of_the_builtin_set_rejoins_to_the_canonical_solution() {
    let ds = stepcoder_data::builtin();
    assert!(ds.errors.is_empty(), "{:?}", ds.errors);
    assert!(!ds.problems.is_empty());
    let (n, stages) = check_every_stage(&ds.problems);
    eprintln!("builtin: {n} problems, {stages} stages checked");
}

#[test]
fn every_stage_of_extracted_cut_points_rejoins_too() {
    // The same with scope dropped, so that the tree-sitter path is exercised end to end.
    let Some(path) = crate::data::shared("apps_plus/valid_350.json") else {
        return;
    };
    let ds = stepcoder_data::load(&path, Format::Auto).unwrap();
    let problems: Vec<Problem> = ds
        .problems
        .into_iter()
        .map(|mut p| {
            p.scope = None;
            p
        })
        .collect();
    check_every_stage(&problems);
}

fn problem(src: &str, starter: &str) -> Problem {
    Problem {
        id: "t".into(),
        source: "test".into(),
        difficulty: stepcoder_core::Difficulty::Unknown,
        statement: String::new(),
        starter_code: starter.into(),
        canonical_solution: src.into(),
        kind: stepcoder_core::ProblemKind::Stdio {
            entry: Some("main".into()),
        },
        tests: Vec::new(),
        setup_code: String::new(),
        atol: None,
        scope: None,
    }
}

#[test]
fn crlf_tabs_nested_blocks_and_starter_code() {
    // Imports above the starter code, CRLF line ends, tab indentation, nested blocks and a
    // trailing comment inside the innermost block.
    let src = "import sys\r\ndef main():\r\n\tn = int(input())\r\n\tfor i in range(n):\r\n\t\tif i % 2:\r\n\t\t\tprint(i)\r\n\t\t\t# odd only\r\n\treturn\r\n";
    let p = problem(src, "\ndef main():\n");
    let c = ProblemCurriculum::new(&p).unwrap();
    let got: Vec<_> = c
        .cuts()
        .iter()
        .map(|s| (s.kind.as_str(), s.start_line, s.end_line))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Function Body", 2, 8),
            ("For Loop Body", 4, 6),
            ("If Statement Body", 5, 6)
        ]
    );
    // E = 3: two stages, stride 2: stage 1 cuts at the `if` nested in the `for`.
    assert_eq!(c.num_stages(), 2);
    let (prefix, rest) = c.split(1).unwrap();
    assert_eq!(
        prefix,
        "import sys\r\ndef main():\r\n\tn = int(input())\r\n\tfor i in range(n):\r\n"
    );
    assert!(rest.starts_with("\t\tif i % 2:\r\n"));
    assert_eq!(c.indentation(1).unwrap(), "\t\t");
    // The starter code's header is in the prefix once, untouched.
    assert_eq!(prefix.matches("def main():").count(), 1);
    // The schedule hands out exactly this prefix first.
    let s = StepSchedule::new(StepConfig::default(), std::slice::from_ref(&p)).unwrap();
    assert_eq!(s.plan(&p).prefix, prefix);
}

#[test]
fn extraction_rules_for_the_less_common_blocks() {
    let src = "\
@decorator
def f(a):
    if a:
        return 1
    elif a is None:
        return 2
    else:
        return 3
    # a comment
class C:
    x = [i for i in range(3)]
    def g(self):
        try:
            pass
        except ValueError:
            pass
        finally:
            pass
for x in y:
    pass
else:
    pass
while q:  # comment
    q = {k: v for k, v in q.items() if v}

g = lambda t: sum(u for u in t)
";
    let got: Vec<_> = extract_scopes(src)
        .unwrap()
        .into_iter()
        .map(|s| (s.kind, s.start_line, s.end_line))
        .collect();
    let want: Vec<(String, u32, u32)> = [
        ("Function Body", 2, 8),
        ("If Statement Body", 3, 8),
        ("If Statement Body", 5, 8),
        ("Class Body", 10, 18),
        ("List Comprehension", 11, 11),
        ("Function Body", 12, 18),
        ("Try Block", 13, 18),
        ("Except Block", 15, 16),
        ("For Loop Body", 19, 22),
        ("While Loop Body", 23, 24),
        ("Dict Comprehension", 24, 24),
        ("Lambda Expression", 26, 26),
        ("Generator Expression", 26, 26),
    ]
    .into_iter()
    .map(|(k, a, b)| (k.to_string(), a, b))
    .collect();
    assert_eq!(got, want);
    let err = extract_scopes("def f(:\n    pass\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("syntax error at line 1"), "{err}");
}

#[test]
fn every_stage_of_humaneval_rejoins_with_extracted_cut_points() {
    // No published scope here: every cut point comes from tree-sitter.
    let Some(path) = crate::data::shared("humaneval/HumanEval.jsonl.gz") else {
        return;
    };
    let ds = stepcoder_data::load(&path, Format::Auto).unwrap();
    assert_eq!(ds.problems.len(), 164);
    assert!(ds.problems.iter().all(|p| p.scope.is_none()));
    let (_, stages) = check_every_stage(&ds.problems);
    eprintln!("humaneval: {stages} stages checked");
}
