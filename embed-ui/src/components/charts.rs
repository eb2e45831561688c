//! Charts drawn in Leptos, no chart library: a day-by-day bar chart, a line (growth curve), a
//! sparkline and a weekday × hour heatmap. Shapes are SVG stretched to the box
//! (`preserveAspectRatio="none"`, strokes that do not scale); every word is HTML around it, so
//! labels stay readable at any width. Colours are the theme's variables (CSS classes in
//! style.css). Each chart has an accessible name and its numbers in a table screen readers
//! read (visually hidden): the picture is for eyes only.

use leptos::prelude::*;

use crate::metrics;

/// One point: where (0..=1 across), how much, and what it is called ("Mon 3 Nov").
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub label: String,
}

/// A scale from `lo` to `hi` with 3 round ticks. `zero`: bars start at 0.
fn scale(values: impl Iterator<Item = f64>, zero: bool) -> (f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0, vec![0.0, 1.0]);
    }
    if zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        // A flat line: give it room above and below (or above 0).
        let pad = (hi.abs() * 0.1).max(1.0);
        if zero && lo >= 0.0 {
            hi += pad
        } else {
            hi += pad;
            lo -= pad
        }
    }
    let step = nice((hi - lo) / 2.0);
    let lo = (lo / step).floor() * step;
    let hi = (hi / step).ceil() * step;
    let mut ticks = vec![];
    let mut t = lo;
    while t <= hi + step / 2.0 {
        ticks.push(t);
        t += step;
    }
    (lo, hi, ticks)
}

/// 1, 2, 2.5 or 5 × a power of ten, at least `raw` (whole numbers: counts).
fn nice(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    let f = raw / p;
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    (m * p).max(1.0)
}

/// Percent from the top of the plot for `v`.
fn top_pct(v: f64, lo: f64, hi: f64) -> f64 {
    100.0 - (v - lo) / (hi - lo) * 100.0
}

/// The frame shared by the bar and line charts: caption, y labels, the plot, x labels, the table.
#[component]
fn Frame(
    title: String,
    summary: String,
    value_label: String,
    ticks: Vec<f64>,
    lo: f64,
    hi: f64,
    x_labels: Vec<(f64, String)>,
    rows: Vec<(String, String)>,
    children: Children,
) -> impl IntoView {
    let aria = format!("{title}. {summary}");
    let name = title.clone();
    view! {
        <figure class="postiz-chart" role="group" aria-label=name>
            <div class="postiz-chart-body">
                <div class="postiz-chart-y" aria-hidden="true">
                    {ticks.iter().map(|t| {
                        let style = format!("top: {:.2}%", top_pct(*t, lo, hi));
                        view! { <span style=style>{metrics::compact(*t)}</span> }
                    }).collect_view()}
                </div>
                <div class="postiz-chart-plot" role="img" aria-label=aria>
                    {ticks.iter().map(|t| {
                        let style = format!("top: {:.2}%", top_pct(*t, lo, hi));
                        view! { <div class="postiz-chart-grid" style=style></div> }
                    }).collect_view()}
                    {children()}
                </div>
            </div>
            <div class="postiz-chart-x" aria-hidden="true">
                {x_labels.into_iter().map(|(x, label)| {
                    // The first label hangs right, the last left, the others centred.
                    let shift = if x < 0.05 { "0%" } else if x > 0.95 { "-100%" } else { "-50%" };
                    let style = format!("left: {:.2}%; transform: translateX({shift})", x * 100.0);
                    view! { <span style=style>{label}</span> }
                }).collect_view()}
            </div>
            <SrTable caption=title head=("Day".to_owned(), value_label) rows/>
        </figure>
    }
}

/// A table only screen readers see. (In a hidden box: a table itself cannot be made 1 px
/// wide, it grows to its content and would widen the page.)
#[component]
pub fn SrTable(caption: String, head: (String, String), rows: Vec<(String, String)>) -> impl IntoView {
    let name = caption.clone();
    view! {
        <div class="postiz-sr-only" data-chart-table=name>
            <table>
                <caption>{caption}</caption>
                <thead><tr><th scope="col">{head.0}</th><th scope="col">{head.1}</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// First, middle and last labels of `n` evenly spread slots (bars: slot centres).
fn spread_labels(labels: &[String], centred: bool) -> Vec<(f64, String)> {
    let n = labels.len();
    if n == 0 {
        return vec![];
    }
    let at = |i: usize| {
        if centred {
            (i as f64 + 0.5) / n as f64
        } else if n == 1 {
            0.5
        } else {
            i as f64 / (n - 1) as f64
        }
    };
    let mut picks = vec![0];
    if n > 2 {
        picks.push((n - 1) / 2);
    }
    if n > 1 {
        picks.push(n - 1);
    }
    picks.into_iter().map(|i| (at(i), labels[i].clone())).collect()
}

/// One bar per day, from zero (gains can be negative: followers lost).
#[component]
pub fn DailyBars(
    /// The accessible name and the table's caption.
    #[prop(into)]
    title: String,
    /// What the numbers are ("Likes").
    #[prop(into)]
    value_label: String,
    /// Day labels and values, in order.
    days: Vec<(String, i64)>,
) -> impl IntoView {
    let n = days.len().max(1);
    let (lo, hi, ticks) = scale(days.iter().map(|(_, v)| *v as f64), true);
    let total: i64 = days.iter().map(|(_, v)| *v).sum();
    let best = days.iter().max_by_key(|(_, v)| *v).filter(|(_, v)| *v > 0);
    let summary = match best {
        Some((d, v)) => format!("{} in total; the most, {}, on {d}.", metrics::full(total), metrics::full(*v)),
        None => format!("{} in total.", metrics::full(total)),
    };
    let labels: Vec<String> = days.iter().map(|(d, _)| d.clone()).collect();
    let x_labels = spread_labels(&labels, true);
    let rows: Vec<(String, String)> = days.iter().map(|(d, v)| (d.clone(), metrics::full(*v))).collect();
    let width = n as f64 * 10.0;
    let zero = 100.0 - (0.0 - lo) / (hi - lo) * 100.0;
    let noun = value_label.to_lowercase();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, (day, v))| {
            let y = 100.0 - (v as f64 - lo) / (hi - lo) * 100.0;
            let (top, h) = if v >= 0 { (y, zero - y) } else { (zero, y - zero) };
            let class = if v < 0 { "postiz-chart-bar postiz-chart-bar-neg" } else { "postiz-chart-bar" };
            let tip = format!("{day}: {} {noun}", metrics::full(v));
            let x = i as f64 * 10.0;
            view! {
                <g>
                    <title>{tip}</title>
                    <rect class="postiz-chart-hit" x=x y="0" width="10" height="100"></rect>
                    <rect class=class x=x + 1.5 y=format!("{top:.3}") width="7" height=format!("{:.3}", h.max(if v != 0 { 0.8 } else { 0.0 }))></rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <Frame title summary value_label ticks lo hi x_labels rows>
            <svg class="postiz-chart-svg" viewBox=format!("0 0 {width} 100") preserveAspectRatio="none" aria-hidden="true" focusable="false">
                {bars}
            </svg>
        </Frame>
    }
}

/// A line through points (a growth curve: it fits its values instead of starting at zero, so
/// 1,000 → 1,030 followers is visible). Each point is a dot with its number on hover.
#[component]
pub fn LineChart(
    /// The accessible name and the table's caption.
    #[prop(into)]
    title: String,
    /// What the numbers are ("Followers").
    #[prop(into)]
    value_label: String,
    /// Points, in order of `x`.
    points: Vec<Point>,
    /// Under the axis.
    x_labels: Vec<(f64, String)>,
) -> impl IntoView {
    let (lo, hi, ticks) = scale(points.iter().map(|p| p.y), false);
    let summary = match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() > 1 => {
            format!("From {} on {} to {} on {}.", metrics::full(a.y as i64), a.label, metrics::full(b.y as i64), b.label)
        }
        (Some(a), _) => format!("One reading: {} on {}.", metrics::full(a.y as i64), a.label),
        _ => "No readings.".to_owned(),
    };
    let rows: Vec<(String, String)> = points.iter().map(|p| (p.label.clone(), metrics::full(p.y as i64))).collect();
    let line: String = points.iter().map(|p| format!("{:.2},{:.2} ", p.x * 1000.0, top_pct(p.y, lo, hi))).collect();
    let area = match (points.first(), points.last()) {
        (Some(a), Some(b)) => format!("{:.2},100 {line}{:.2},100", a.x * 1000.0, b.x * 1000.0),
        _ => String::new(),
    };
    let noun = value_label.to_lowercase();
    let dots = (points.len() <= 120).then(|| {
        points
            .iter()
            .map(|p| {
                let style = format!("left: {:.2}%; top: {:.2}%", p.x * 100.0, top_pct(p.y, lo, hi));
                view! { <span class="postiz-chart-dot" style=style title=format!("{}: {} {noun}", p.label, metrics::full(p.y as i64))></span> }
            })
            .collect_view()
    });
    view! {
        <Frame title summary value_label ticks lo hi x_labels rows>
            <svg class="postiz-chart-svg" viewBox="0 0 1000 100" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                <polygon class="postiz-chart-area" points=area></polygon>
                <polyline class="postiz-chart-line" points=line></polyline>
            </svg>
            {dots}
        </Frame>
    }
}

/// A small line of a metric over a post's readings, with its numbers for screen readers.
#[component]
pub fn Sparkline(
    /// The accessible name ("Impressions of @handle over 4 readings").
    #[prop(into)]
    title: String,
    /// Points in time order (`label`: the reading's local time).
    points: Vec<Point>,
) -> impl IntoView {
    let (lo, hi, _) = scale(points.iter().map(|p| p.y), false);
    let line: String = points.iter().map(|p| format!("{:.2},{:.2} ", p.x * 100.0, 2.0 + top_pct(p.y, lo, hi) * 0.26)).collect();
    let summary = match (points.first(), points.last()) {
        (Some(a), Some(b)) if points.len() > 1 => format!("{title}: from {} to {}", metrics::full(a.y as i64), metrics::full(b.y as i64)),
        (Some(a), _) => format!("{title}: {}", metrics::full(a.y as i64)),
        _ => title.clone(),
    };
    let single = points.len() == 1;
    let rows: Vec<(String, String)> = points.iter().map(|p| (p.label.clone(), metrics::full(p.y as i64))).collect();
    view! {
        <span class="postiz-spark">
            <svg class="postiz-spark-svg" viewBox="0 0 100 30" preserveAspectRatio="none" role="img" aria-label=summary>
                {if single {
                    view! { <line class="postiz-chart-line" x1="0" y1="15" x2="100" y2="15"></line> }.into_any()
                } else {
                    view! { <polyline class="postiz-chart-line" points=line></polyline> }.into_any()
                }}
            </svg>
            <SrTable caption=title head=("Reading".to_owned(), "Value".to_owned()) rows/>
        </span>
    }
}

/// One cell of the heatmap: weekday 0 (Mon) … 6, hour 0-23, the value that colours it, and
/// its words (tooltip and table).
#[derive(Clone, Debug, PartialEq)]
pub struct HeatCell {
    pub weekday: usize,
    pub hour: usize,
    pub value: f64,
    pub text: String,
}

/// Seven rows of 24 hours, darker where the value is higher; empty hours stay blank.
#[component]
pub fn Heatmap(
    /// The accessible name.
    #[prop(into)]
    title: String,
    /// Cells with posts (the rest are blank).
    cells: Vec<HeatCell>,
) -> impl IntoView {
    let max = cells.iter().map(|c| c.value).fold(f64::NEG_INFINITY, f64::max);
    let min = cells.iter().map(|c| c.value).fold(f64::INFINITY, f64::min);
    let mut grid: Vec<Option<HeatCell>> = vec![None; 7 * 24];
    for c in &cells {
        if c.weekday < 7 && c.hour < 24 {
            grid[c.weekday * 24 + c.hour] = Some(c.clone());
        }
    }
    let best = cells
        .iter()
        .max_by(|a, b| a.value.total_cmp(&b.value))
        .map(|c| format!("The best: {} {}.", crate::time::WEEKDAYS[c.weekday], crate::time::hhmm(c.hour as i64 * 60)));
    let aria = format!("{title}. {} hours with posts. {}", cells.len(), best.unwrap_or_default());
    let rows: Vec<(String, String)> = {
        let mut sorted = cells.clone();
        sorted.sort_by_key(|c| (c.weekday, c.hour));
        sorted
            .into_iter()
            .map(|c| (format!("{} {}", crate::time::WEEKDAYS[c.weekday], crate::time::hhmm(c.hour as i64 * 60)), c.text))
            .collect()
    };
    let name = title.clone();
    view! {
        <figure class="postiz-chart" role="group" aria-label=name>
            <div class="postiz-heat" role="img" aria-label=aria>
                <span class="postiz-heat-corner"></span>
                {(0..24).map(|h| view! { <span class="postiz-heat-hour">{(h % 3 == 0).then(|| format!("{h:02}"))}</span> }).collect_view()}
                {(0..7).map(|d| {
                    let row = &grid[d * 24..d * 24 + 24];
                    view! {
                        <span class="postiz-heat-day">{crate::time::WEEKDAYS[d]}</span>
                        {row.iter().enumerate().map(|(h, c)| match c {
                            Some(c) => {
                                // From the weakest hour with posts (15 % of the accent) to the best
                                // (100 %): the spread shows even when every rate is close.
                                let pct = if max > min { 15.0 + 85.0 * (c.value - min) / (max - min) } else { 60.0 };
                                let style = format!("background: color-mix(in srgb, var(--p-accent) {pct:.0}%, var(--p-bg))");
                                let tip = format!("{} {}: {}", crate::time::WEEKDAYS[d], crate::time::hhmm(h as i64 * 60), c.text);
                                view! { <span class="postiz-heat-cell postiz-heat-on" style=style title=tip data-heat=format!("{d}-{h}")></span> }.into_any()
                            }
                            None => view! { <span class="postiz-heat-cell"></span> }.into_any(),
                        }).collect_view()}
                    }
                }).collect_view()}
            </div>
            <SrTable caption=title head=("Weekday and hour".to_owned(), "Posts and engagement".to_owned()) rows/>
        </figure>
    }
}

/// Labels for `LineChart` over a range of days (first, middle, last).
pub fn range_labels(first_day: i64, last_day: i64) -> Vec<(f64, String)> {
    let n = (last_day - first_day + 1).max(1) as usize;
    let labels: Vec<String> = (0..n as i64).map(|i| crate::time::day_label(&crate::time::day_key(first_day + i))).collect();
    spread_labels(&labels, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_and_cover_the_values() {
        let (lo, hi, ticks) = scale([0.0, 7.0, 3.0].into_iter(), true);
        assert!(lo <= 0.0 && hi >= 7.0);
        assert_eq!(ticks.first(), Some(&lo));
        let (lo, hi, _) = scale([1000.0, 1030.0].into_iter(), false);
        assert!(lo >= 950.0 && hi <= 1100.0, "{lo}..{hi}: fits the values, not zero");
    }
}
