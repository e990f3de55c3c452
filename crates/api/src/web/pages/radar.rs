//! A radar chart of category achievements drawn on the server as inline SVG (the pages run
//! no inline script or style: SVG presentation attributes only).

use std::f64::consts::PI;
use std::fmt::Write;

use maud::{Markup, html};

const SIZE: f64 = 320.0;
const CENTRE: f64 = SIZE / 2.0;
const RADIUS: f64 = 120.0;

/// The point at `share` (0–1) of the radius on spoke `i` of `n` (the first points up).
fn point(i: usize, n: usize, share: f64) -> (f64, f64) {
    let angle = -PI / 2.0 + 2.0 * PI * (i as f64) / (n.max(1) as f64);
    (CENTRE + RADIUS * share * angle.cos(), CENTRE + RADIUS * share * angle.sin())
}

fn polygon(n: usize, share: impl Fn(usize) -> f64) -> String {
    let mut points = String::new();
    for i in 0..n {
        let (x, y) = point(i, n, share(i));
        let _ = write!(points, "{x:.1},{y:.1} ");
    }
    points.trim_end().to_owned()
}

/// One chart: `axes` are (category number, achievement 0–1 or none); `label` names the
/// chart for screen readers (the numbers are in the heat map's table as text).
pub fn chart(label: &str, axes: &[(u32, Option<f64>)]) -> Markup {
    let n = axes.len();
    let rings = [0.25, 0.5, 0.75, 1.0];
    html! {
        svg.radar xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 320" role="img" aria-label=(label) {
            title { (label) }
            @for r in rings {
                polygon points=(polygon(n, |_| r)) fill="none" stroke="#d0d7de" stroke-width="1" {}
            }
            @for i in 0..n {
                @let (x, y) = point(i, n, 1.0);
                line x1=(CENTRE) y1=(CENTRE) x2=(format!("{x:.1}")) y2=(format!("{y:.1}")) stroke="#d0d7de" stroke-width="1" {}
            }
            polygon.achieved points=(polygon(n, |i| axes.get(i).and_then(|a| a.1).unwrap_or(0.0).clamp(0.0, 1.0)))
                fill="#0b57d0" fill-opacity="0.25" stroke="#0b57d0" stroke-width="2" {}
            @for (i, (number, _)) in axes.iter().enumerate() {
                @let (x, y) = point(i, n, 1.12);
                text x=(format!("{x:.1}")) y=(format!("{y:.1}")) font-size="11" text-anchor="middle"
                    dominant-baseline="middle" fill="#57606a" { (number) }
            }
        }
    }
}
