//! Small pieces the buyer's pages share: blank form fields, level and status labels, the
//! notice after a redirect, query strings of links.

use kensa_domain::suppliers::ReviewStatus;
use maud::{Markup, html};

use crate::web::context::Web;
use crate::web::layout;

/// A query or form value, trimmed; `None` when absent or blank (a blank filter does not filter).
pub fn blank(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// `<option>`s for target levels 1–3, `selected` the one given.
pub fn level_options(selected: &str) -> Markup {
    html! {
        @for l in ["1", "2", "3"] { option value=(l) selected[selected == l] { "Lv" (l) } }
    }
}

/// `a=1&b=2`, each value encoded.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        .finish()
}

pub fn review_status_label(w: &Web, s: ReviewStatus) -> &'static str {
    let b = w.lang.buyer();
    match s {
        ReviewStatus::NotStarted => b.not_started,
        ReviewStatus::Sent => w.t().status_sent,
        ReviewStatus::InProgress => w.t().status_in_progress,
        ReviewStatus::Submitted => w.t().status_submitted,
        ReviewStatus::ChangesRequested => w.t().status_changes_requested,
        ReviewStatus::Accepted => w.t().status_accepted,
        ReviewStatus::Cancelled => w.t().status_cancelled,
    }
}

pub fn review_status_badge(w: &Web, s: ReviewStatus) -> Markup {
    html! { span class={ "badge " (s.as_str()) } { (review_status_label(w, s)) } }
}

/// The notice after a redirect (`?done=`); unknown values show nothing.
pub fn done_notice(w: &Web, done: Option<&str>) -> Markup {
    let b = w.lang.buyer();
    let text = match done {
        Some("supplier_added") => b.supplier_added,
        Some("campaign_created") => b.campaign_created,
        Some("user_updated") => b.user_updated,
        Some("invited") => b.invited,
        Some("settings_saved") => b.settings_saved,
        _ => return html! {},
    };
    layout::notice("ok", text)
}

/// An achievement (0–1) as a whole percentage, or a dash when there is none.
pub fn percent(value: Option<f64>) -> String {
    match value {
        Some(v) => format!("{:.0}%", (v * 100.0).clamp(0.0, 100.0)),
        None => "—".to_owned(),
    }
}
