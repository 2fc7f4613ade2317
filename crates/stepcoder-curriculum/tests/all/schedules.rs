//! Algorithm 1 pinned point by point, the other schedules, and saved state.

use stepcoder_core::{CurriculumSchedule, Difficulty, Problem, ProblemKind, Scope};
use stepcoder_curriculum::{
    algorithm1_update, ceil_sqrt, stride, NoCurriculum, ProblemCurriculum, StagedConfig,
    StagedSchedule, StepConfig, StepSchedule, StepState,
};

/// A problem whose canonical solution has `e` cut points, one per line 2..=e+1.
pub fn problem_with_cuts(id: &str, e: usize) -> Problem {
    let mut src = String::from("def f(x):\n");
    for i in 0..e {
        src.push_str(&format!("    if x == {i}:\n"));
    }
    src.push_str("    return x\n");
    // Give the cut points explicitly (one `If Statement Body` per line) so that `e` is exact.
    let scope = (0..e)
        .map(|i| Scope {
            kind: "If Statement Body".into(),
            start_line: i as u32 + 2,
            end_line: i as u32 + 2,
        })
        .collect();
    Problem {
        id: id.into(),
        source: "test".into(),
        difficulty: Difficulty::Unknown,
        statement: String::new(),
        starter_code: String::new(),
        canonical_solution: src,
        kind: ProblemKind::Function { name: "f".into() },
        tests: Vec::new(),
        setup_code: String::new(),
        atol: None,
        scope: Some(scope),
    }
}

#[test]
fn stage_count_is_ceil_sqrt_of_e() {
    let expect = [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 2),
        (4, 2),
        (5, 3),
        (9, 3),
        (10, 4),
        (16, 4),
        (17, 5),
        (100, 10),
        (101, 11),
    ];
    for (e, k) in expect {
        assert_eq!(ceil_sqrt(e), k, "E = {e}");
    }
    for e in 1..20_000usize {
        let k = ceil_sqrt(e);
        assert!(k * k >= e && (k - 1) * (k - 1) < e, "E = {e}, k = {k}");
    }
    // Stage 0 included; E = 0 has stage 0 alone.
    for (e, stages) in [(0, 1), (1, 1), (2, 2), (5, 3), (10, 4)] {
        let c = ProblemCurriculum::new(&problem_with_cuts("p", e)).unwrap();
        assert_eq!(c.num_stages(), stages, "E = {e}");
        assert_eq!(c.stages().len(), stages);
    }
}

#[test]
fn stride_is_ceil_e_over_stages_and_every_stage_has_a_cut() {
    for (e, s) in [
        (0, 0),
        (1, 1),
        (2, 1),
        (3, 2),
        (4, 2),
        (5, 2),
        (7, 3),
        (10, 3),
        (17, 4),
    ] {
        assert_eq!(stride(e), s, "E = {e}");
    }
    for e in 1..5_000usize {
        // The easiest stage cuts at number s * (k - 1), which must exist.
        assert!(stride(e) * (ceil_sqrt(e) - 1) < e, "E = {e}");
    }
    // E = 10: k = 4, s = 3; stage c cuts at cut number 3c (0-based), i.e. line 3c + 2.
    let c = ProblemCurriculum::new(&problem_with_cuts("p", 10)).unwrap();
    let lines: Vec<_> = c.stages().iter().map(|s| s.cut_line).collect();
    assert_eq!(lines, vec![None, Some(5), Some(8), Some(11)]);
}

#[test]
fn starts_at_the_easiest_stage_with_the_longest_prefix() {
    let p = problem_with_cuts("p", 10);
    let s = StepSchedule::new(StepConfig::default(), std::slice::from_ref(&p)).unwrap();
    let plan = s.plan(&p);
    assert_eq!(plan.stage, 3);
    // Cut number 9 starts at line 11: the prefix is lines 1..=10.
    assert_eq!(plan.prefix.lines().count(), 10);
    assert!(p.canonical_solution.starts_with(&plan.prefix));
    let st = s.state_of("p").unwrap();
    assert_eq!((st.stage, st.rho), (3, 0.0));
}

#[test]
fn moving_average_follows_the_paper() {
    let cfg = StepConfig {
        alpha: 0.25,
        rho_t: 0.99,
    };
    let mut st = StepState {
        stage: 2,
        rho: 0.0,
        rollouts: 0,
    };
    let mut rho = 0.0f64;
    for passed in [true, true, false, true, false, false, true] {
        algorithm1_update(&mut st, passed, &cfg);
        rho = if passed {
            0.25 + 0.75 * rho
        } else {
            0.75 * rho
        };
        assert_eq!(st.rho, rho);
        assert_eq!(st.stage, 2);
    }
    assert_eq!(st.rollouts, 7);
    // Hand-computed first values: 0.25, 0.4375, 0.328125.
    let mut st = StepState {
        stage: 1,
        rho: 0.0,
        rollouts: 0,
    };
    let seen: Vec<f64> = [true, true, false]
        .iter()
        .map(|&p| {
            algorithm1_update(&mut st, p, &cfg);
            st.rho
        })
        .collect();
    assert_eq!(seen, vec![0.25, 0.4375, 0.328125]);
}

#[test]
fn advances_only_when_rho_strictly_exceeds_rho_t_and_resets_rho() {
    // alpha 0.5: passes give 0.5, 0.75, 0.875 exactly (binary fractions).
    let cfg = StepConfig {
        alpha: 0.5,
        rho_t: 0.75,
    };
    let mut st = StepState {
        stage: 2,
        rho: 0.0,
        rollouts: 0,
    };
    assert!(!algorithm1_update(&mut st, true, &cfg));
    assert_eq!((st.stage, st.rho), (2, 0.5));
    // rho == rho_t: no advance.
    assert!(!algorithm1_update(&mut st, true, &cfg));
    assert_eq!((st.stage, st.rho), (2, 0.75));
    // rho = 0.875 > 0.75: one stage harder, rho back to 0.
    assert!(algorithm1_update(&mut st, true, &cfg));
    assert_eq!((st.stage, st.rho), (1, 0.0));
    // A failure never advances.
    assert!(!algorithm1_update(&mut st, false, &cfg));
    assert_eq!((st.stage, st.rho), (1, 0.0));
}

#[test]
fn never_goes_below_stage_0_and_stage_0_has_no_prefix() {
    let p = problem_with_cuts("p", 5);
    let cfg = StepConfig {
        alpha: 0.5,
        rho_t: 0.6,
    };
    let mut s = StepSchedule::new(cfg, std::slice::from_ref(&p)).unwrap();
    let mut stages = vec![s.plan(&p).stage];
    for _ in 0..20 {
        s.record(&p, true);
        stages.push(s.plan(&p).stage);
    }
    // Two passes per advance (0.5, then 0.75 > 0.6): 2, 2, 1, 1, 0, 0, ...
    assert_eq!(&stages[..6], &[2, 2, 1, 1, 0, 0]);
    assert!(stages[4..].iter().all(|&c| c == 0));
    let plan = s.plan(&p);
    assert_eq!(plan.stage, 0);
    assert!(plan.prefix.is_empty());
    // At stage 0 the average still resets when it exceeds rho_t.
    let st = s.state_of("p").unwrap();
    assert!(st.rho <= 0.6);
    assert_eq!(st.rollouts, 20);
}

#[test]
fn problems_without_cut_points_go_straight_to_stage_0() {
    let p = problem_with_cuts("none", 0);
    let one = problem_with_cuts("one", 1);
    let s = StepSchedule::new(StepConfig::default(), &[p.clone(), one.clone()]).unwrap();
    for q in [&p, &one] {
        let plan = s.plan(q);
        assert_eq!(plan.stage, 0);
        assert!(plan.prefix.is_empty());
    }
}

#[test]
fn the_mean_of_the_update_is_the_pass_rate_fixed_point() {
    // Steady state of rho under a constant pass pattern: alternating pass/fail with alpha
    // 0.1 oscillates around 0.5; with the default rho_t 0.8 it never advances.
    let cfg = StepConfig::default();
    let mut st = StepState {
        stage: 3,
        rho: 0.0,
        rollouts: 0,
    };
    for i in 0..1000 {
        algorithm1_update(&mut st, i % 2 == 0, &cfg);
    }
    assert_eq!(st.stage, 3);
    assert!((st.rho - 0.5).abs() < 0.06, "rho {}", st.rho);
    // 16 passes in a row from 0 (one batch of the paper's 16 rollouts) are enough to
    // advance with the defaults, 15 are not.
    let mut st = StepState {
        stage: 3,
        rho: 0.0,
        rollouts: 0,
    };
    for _ in 0..15 {
        assert!(!algorithm1_update(&mut st, true, &cfg));
    }
    assert!(algorithm1_update(&mut st, true, &cfg));
    assert_eq!(st.stage, 2);
}

#[test]
fn saved_state_resumes_exactly_and_reports_unknown_problems() {
    let problems: Vec<Problem> = (0..6)
        .map(|i| problem_with_cuts(&format!("p{i}"), 3 * i + 2))
        .collect();
    let cfg = StepConfig {
        alpha: 0.3,
        rho_t: 0.7,
    };
    let mut a = StepSchedule::new(cfg, &problems).unwrap();
    let mut rng = stepcoder_curriculum::SplitMix64::new(7);
    let step = |s: &mut StepSchedule, rng: &mut stepcoder_curriculum::SplitMix64| {
        let p = &problems[rng.below(problems.len() as u64) as usize];
        let passed = rng.next_f64() < 0.7;
        s.record(p, passed);
    };
    for _ in 0..137 {
        step(&mut a, &mut rng);
    }
    let saved = a.save_state();
    let text = serde_json::to_string(&saved).unwrap();
    // Resume from the text, in a schedule built with different settings: the saved ones win.
    let mut b = StepSchedule::new(StepConfig::default(), &problems).unwrap();
    let unknown = b.load_state(&serde_json::from_str(&text).unwrap()).unwrap();
    assert!(unknown.is_empty());
    assert_eq!(b.config(), &cfg);
    let mut rng_b = rng.clone();
    for _ in 0..500 {
        step(&mut a, &mut rng);
        step(&mut b, &mut rng_b);
    }
    for p in &problems {
        assert_eq!(a.state_of(&p.id), b.state_of(&p.id), "{}", p.id);
        assert_eq!(a.plan(p), b.plan(p));
    }
    assert_eq!(a.save_state(), b.save_state());

    // A schedule over fewer problems reports the others, keeps their state, saves it again.
    let mut c = StepSchedule::new(cfg, &problems[..2]).unwrap();
    let mut unknown = c.load_state(&a.save_state()).unwrap();
    unknown.sort();
    let mut expect: Vec<String> = a.save_state()["problems"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "p0" && *k != "p1")
        .cloned()
        .collect();
    expect.sort();
    assert!(!expect.is_empty());
    assert_eq!(unknown, expect);
    assert_eq!(c.save_state(), a.save_state());
}

#[test]
fn bad_state_is_rejected_and_leaves_the_schedule_untouched() {
    let p = problem_with_cuts("p", 4);
    let mut s = StepSchedule::new(StepConfig::default(), std::slice::from_ref(&p)).unwrap();
    s.record(&p, true);
    let before = s.save_state();
    let mut bad = before.clone();
    bad["problems"]["p"]["stage"] = serde_json::json!(7);
    let err = s.load_state(&bad).unwrap_err().to_string();
    assert!(err.contains("`p`") && err.contains("stage 7"), "{err}");
    let mut bad = before.clone();
    bad["problems"]["p"]["rho"] = serde_json::json!(1.5);
    assert!(s.load_state(&bad).is_err());
    assert!(s
        .load_state(&serde_json::json!({"schedule": "staged"}))
        .is_err());
    assert!(s.load_state(&NoCurriculum.save_state()).is_err());
    assert_eq!(s.save_state(), before);
}

#[test]
fn rho_survives_the_json_round_trip_bit_for_bit() {
    let p = problem_with_cuts("p", 9);
    let cfg = StepConfig {
        alpha: 0.123_456_789,
        rho_t: 0.999,
    };
    let mut s = StepSchedule::new(cfg, std::slice::from_ref(&p)).unwrap();
    let mut rng = stepcoder_curriculum::SplitMix64::new(1);
    for _ in 0..300 {
        s.record(&p, rng.next_f64() < 0.6);
        let text = serde_json::to_string(&s.save_state()).unwrap();
        let mut t = StepSchedule::new(StepConfig::default(), std::slice::from_ref(&p)).unwrap();
        t.load_state(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(
            t.state_of("p").unwrap().rho.to_bits(),
            s.state_of("p").unwrap().rho.to_bits()
        );
    }
}

#[test]
fn invalid_configs_are_refused() {
    let p = problem_with_cuts("p", 4);
    for (alpha, rho_t) in [
        (0.0, 0.5),
        (1.5, 0.5),
        (0.1, 1.0),
        (0.1, -0.1),
        (f64::NAN, 0.5),
    ] {
        assert!(
            StepSchedule::new(StepConfig { alpha, rho_t }, std::slice::from_ref(&p)).is_err(),
            "alpha {alpha} rho_t {rho_t}"
        );
    }
    let cfg: StepConfig = serde_json::from_str(r#"{"rho_t": 0.9}"#).unwrap();
    assert_eq!((cfg.alpha, cfg.rho_t), (0.1, 0.9));
    assert!(serde_json::from_str::<StepConfig>(r#"{"rhot": 0.9}"#).is_err());
}

#[test]
fn staged_schedule_cuts_at_half_then_quarter_then_none() {
    let p = problem_with_cuts("p", 8);
    let cfg = StagedConfig {
        threshold: 0.5,
        window: 4,
    };
    let mut s = StagedSchedule::new(cfg, std::slice::from_ref(&p)).unwrap();
    // Level 2: cut number 4 (line 6), prefix lines 1..=5.
    let plan = s.plan(&p);
    assert_eq!((plan.stage, plan.prefix.lines().count()), (2, 5));
    // A window at exactly the threshold does not advance; one above does.
    for passed in [true, true, false, false] {
        s.record(&p, passed);
    }
    assert_eq!(s.level(), 2);
    for passed in [true, true, true, false] {
        s.record(&p, passed);
    }
    assert_eq!(s.level(), 1);
    let plan = s.plan(&p);
    // Level 1: cut number 2 (line 4).
    assert_eq!((plan.stage, plan.prefix.lines().count()), (1, 3));
    let saved = s.save_state();
    assert!(s.observe_pass_rate(0.9));
    assert_eq!(s.plan(&p), stepcoder_core::PromptPlan::unassisted());
    assert!(!s.observe_pass_rate(1.0));
    assert_eq!(s.level(), 0);
    // Resume at level 1.
    let mut t = StagedSchedule::new(StagedConfig::default(), std::slice::from_ref(&p)).unwrap();
    assert!(t.load_state(&saved).unwrap().is_empty());
    assert_eq!(t.level(), 1);
    assert_eq!(t.save_state(), saved);
}

#[test]
fn no_curriculum_never_gives_a_prefix() {
    let p = problem_with_cuts("p", 9);
    let mut s = NoCurriculum;
    for _ in 0..5 {
        s.record(&p, true);
        assert_eq!(s.plan(&p), stepcoder_core::PromptPlan::unassisted());
    }
    assert!(s.load_state(&s.save_state()).unwrap().is_empty());
}
