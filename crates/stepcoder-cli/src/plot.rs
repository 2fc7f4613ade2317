//! The training plot: reward, pass rate, outcome mix, curriculum stages, KL and the held-out
//! learning curve over steps, drawn from the metrics and curve JSONL into one PNG (rewritten
//! as training goes).

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Context};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use stepcoder_ppo::StepMetrics;

use crate::run::CurvePoint;

const FONT: &str = "sans-serif";

fn ensure_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The font is embedded, so plots render the same on machines without fonts.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    title: &str,
    y_range: std::ops::Range<f64>,
    x_max: f64,
    series: &[Series<'_>],
) -> anyhow::Result<()> {
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing `{title}`: {e}");
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 18))
        .margin(8)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(0f64..x_max.max(1.0), y_range)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .label_style((FONT, 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| err(&e))?;
    for (name, color, points) in series {
        let color = *color;
        let drawn = chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
        // An unnamed series (the upper edge of an interval) gets no legend entry.
        if !name.is_empty() {
            drawn.label(*name).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        }
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| err(&e))?;
    }
    Ok(())
}

/// Draws the six panels of a run into `png`: its metrics per step, and the held-out learning
/// curve (`curve`, empty when the run evaluates only before and after).
pub fn plot_metrics(
    metrics: &[StepMetrics],
    curve: &[CurvePoint],
    png: &Path,
) -> anyhow::Result<()> {
    ensure_font();
    let root = BitMapBackend::new(png, (1500, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let panels = root.split_evenly((2, 3));
    let x_max = metrics
        .last()
        .map_or(1.0, |m| m.step as f64)
        .max(curve.last().map_or(0.0, |p| p.step as f64));
    let pts = |f: &dyn Fn(&StepMetrics) -> f64| -> Vec<(f64, f64)> {
        metrics.iter().map(|m| (m.step as f64, f(m))).collect()
    };
    panel(
        &panels[0],
        "reward (mean over rollouts)",
        -1.05..1.05,
        x_max,
        &[("reward", BLUE, pts(&|m| m.reward_mean))],
    )?;
    panel(
        &panels[1],
        "pass rate (rollouts passing all tests)",
        0.0..1.0,
        x_max,
        &[("pass rate", GREEN, pts(&|m| m.pass_rate))],
    )?;
    let frac = |get: fn(&StepMetrics) -> usize| {
        move |m: &StepMetrics| {
            let total = m.outcomes.total().max(1) as f64;
            get(m) as f64 / total
        }
    };
    panel(
        &panels[3],
        "outcome mix (fraction of rollouts)",
        0.0..1.0,
        x_max,
        &[
            ("passed", GREEN, pts(&frac(|m| m.outcomes.passed))),
            (
                "wrong answer",
                RGBColor(230, 160, 0),
                pts(&frac(|m| m.outcomes.wrong_answer)),
            ),
            (
                "runtime error",
                RED,
                pts(&frac(|m| m.outcomes.runtime_error)),
            ),
            (
                "compile error",
                MAGENTA,
                pts(&frac(|m| m.outcomes.compile_error)),
            ),
            // Counted among the outcomes above too (an empty program is a wrong answer).
            ("wrote no code", BLACK, pts(&frac(|m| m.no_code))),
        ],
    )?;
    let max_stage = metrics
        .iter()
        .flat_map(|m| m.stage_histogram.keys().copied())
        .max()
        .unwrap_or(0);
    let mean_stage = |m: &StepMetrics| {
        let n: usize = m.stage_histogram.values().sum();
        let s: usize = m.stage_histogram.iter().map(|(k, v)| k * v).sum();
        if n == 0 {
            0.0
        } else {
            s as f64 / n as f64
        }
    };
    let at_stage_0 = |m: &StepMetrics| {
        let n: usize = m.stage_histogram.values().sum();
        m.stage_histogram.get(&0).copied().unwrap_or(0) as f64 / n.max(1) as f64
            * max_stage.max(1) as f64
    };
    panel(
        &panels[4],
        "curriculum (0 = no prefix given)",
        0.0..(max_stage.max(1) as f64 + 0.2),
        x_max,
        &[
            ("mean stage", BLUE, pts(&mean_stage)),
            (
                "share at stage 0 (scaled to max stage)",
                BLACK,
                pts(&at_stage_0),
            ),
        ],
    )?;
    let kl_max = metrics.iter().map(|m| m.kl).fold(0.01f64, f64::max) * 1.1;
    panel(
        &panels[5],
        "KL to the reference (rollouts)",
        0.0..kl_max,
        x_max,
        &[("KL", BLACK, pts(&|m| m.kl))],
    )?;
    curve_panel(&panels[2], curve, x_max)?;
    root.present()
        .with_context(|| format!("writing {}", png.display()))?;
    Ok(())
}

/// The learning curve alone (held-out pass@1 after each evaluated PPO step, with its 95%
/// interval) into `png`.
pub fn plot_curve(points: &[CurvePoint], png: &Path) -> anyhow::Result<()> {
    ensure_font();
    let root = BitMapBackend::new(png, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let x_max = points.last().map_or(1.0, |p| p.step as f64);
    curve_panel(&root, points, x_max)?;
    root.present()
        .with_context(|| format!("writing {}", png.display()))?;
    Ok(())
}

/// Held-out pass@1 with its 95% interval (the edges in a lighter color) over PPO steps.
fn curve_panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    points: &[CurvePoint],
    x_max: f64,
) -> anyhow::Result<()> {
    let y_max = points
        .iter()
        .map(|p| p.pass1.hi)
        .fold(0.1f64, f64::max)
        .min(1.0)
        + 0.05;
    let series = |f: fn(&CurvePoint) -> f64| -> Vec<(f64, f64)> {
        points.iter().map(|p| (p.step as f64, f(p))).collect()
    };
    let title = match points.first() {
        Some(p) => format!(
            "held-out pass@1 ({} problems x {} samples), 95% interval",
            p.problems, p.samples_per_problem
        ),
        None => "held-out pass@1 (no evaluation during training)".into(),
    };
    panel(
        area,
        &title,
        0.0..y_max,
        x_max,
        &[
            ("pass@1", BLUE, series(|p| p.pass1.estimate)),
            (
                "95% interval",
                RGBColor(150, 170, 230),
                series(|p| p.pass1.lo),
            ),
            ("", RGBColor(150, 170, 230), series(|p| p.pass1.hi)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepcoder_ppo::OutcomeCounts;

    #[test]
    fn writes_a_png_of_the_run() {
        let metrics: Vec<StepMetrics> = (1..=20u64)
            .map(|step| StepMetrics {
                step,
                reward_mean: -1.0 + step as f64 / 10.0,
                pass_rate: step as f64 / 20.0,
                outcomes: OutcomeCounts {
                    compile_error: 20 - step as usize,
                    runtime_error: 1,
                    wrong_answer: 2,
                    passed: step as usize,
                },
                stage_histogram: [(0, step as usize), (2, 20 - step as usize)].into(),
                ..StepMetrics::default()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("plot.png");
        let curve: Vec<CurvePoint> = [(0, 0.1), (10, 0.2), (20, 0.25)]
            .into_iter()
            .map(|(step, p)| CurvePoint {
                step,
                problems: 80,
                samples_per_problem: 2,
                pass1: stepcoder_eval::Interval {
                    estimate: p,
                    lo: p - 0.05,
                    hi: p + 0.05,
                    level: 0.95,
                },
            })
            .collect();
        plot_metrics(&metrics, &curve, &png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
        assert!(
            bytes.len() > 10_000,
            "suspiciously small plot: {} bytes",
            bytes.len()
        );
    }
}
