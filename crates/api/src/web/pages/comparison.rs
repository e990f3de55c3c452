//! `/comparison`: the buyer's suppliers side by side — the comparison table (sorted by the
//! keys the comparison service sorts by), the category heat map, a radar chart per scored
//! supplier, and `/comparison/export` (the same export as the API, with the cookie session).

use actix_web::{HttpResponse, web};
use kensa_domain::assessments::model::Status;
use kensa_domain::comparison::export::{self, ExportFormat};
use kensa_domain::comparison::{
    self, ComparisonCategory, ComparisonFilter, ComparisonRequest, ComparisonRow, ComparisonSort, HeatmapRow,
    SharesBeside, SortOrder,
};
use kensa_domain::pagination::{Page, PageRequest};
use kensa_domain::shares::{self, ShareKind, SharedComparisonRow};
use kensa_domain::supply_chain::{self, SupplyChainBelow};
use kensa_domain::templates;
use kensa_domain::{DomainError, ErrorCode};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::buyer::{blank, percent, query_string};
use super::radar;
use crate::error::{ApiError, ApiResult};
use crate::web::context::Web;
use crate::web::context::signed_in;
use crate::web::layout;

const PAGE_SIZE: u64 = 50;

/// The filters, sort and page as links and the filter form write them (blank means none).
#[derive(Deserialize, Default)]
pub struct CompareQuery {
    template_id: Option<String>,
    tier: Option<String>,
    tag: Option<String>,
    status: Option<String>,
    q: Option<String>,
    scs_star3_min: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    sort_category: Option<String>,
    cursor: Option<String>,
    format: Option<String>,
}

fn invalid(field: &str, message: &str) -> ApiError {
    DomainError::validation(field, ErrorCode::InvalidValue, message).into()
}

/// The parsed query: what the services take.
struct Parsed {
    filter: ComparisonFilter,
    sort: Option<ComparisonSort>,
    order: Option<SortOrder>,
    sort_category: Option<i32>,
}

impl CompareQuery {
    fn parse(&self) -> ApiResult<Parsed> {
        let template_id = match blank(&self.template_id) {
            None => None,
            Some(id) => Some(Uuid::parse_str(&id).map_err(|_| invalid("template_id", "not a template id"))?),
        };
        let status = match blank(&self.status) {
            None => None,
            Some(s) => Some(Status::parse(&s).ok_or_else(|| invalid("status", "not an assessment status"))?),
        };
        let sort = match blank(&self.sort) {
            None => None,
            Some(s) => Some(ComparisonSort::parse(&s).ok_or_else(|| invalid("sort", "not a sort key"))?),
        };
        let order = match blank(&self.order) {
            None => None,
            Some(o) => Some(SortOrder::parse(&o).ok_or_else(|| invalid("order", "asc or desc"))?),
        };
        let sort_category = match blank(&self.sort_category) {
            None => None,
            Some(c) => Some(c.parse::<i32>().map_err(|_| invalid("sort_category", "a category number"))?),
        };
        let scs_star3_min = match blank(&self.scs_star3_min) {
            None => None,
            Some(m) => Some(
                m.parse::<f64>()
                    .ok()
                    .filter(|m| (0.0..=1.0).contains(m))
                    .ok_or_else(|| invalid("scs_star3_min", "a share between 0 and 1"))?,
            ),
        };
        let filter = ComparisonFilter {
            template_id,
            tier: blank(&self.tier),
            tag: blank(&self.tag),
            status,
            q: blank(&self.q),
            scs_star3_min,
            ..ComparisonFilter::default()
        };
        Ok(Parsed { filter, sort, order, sort_category })
    }

    /// The filters as link parameters (without sort, page or format).
    fn filter_pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("template_id", &self.template_id),
            ("tier", &self.tier),
            ("tag", &self.tag),
            ("status", &self.status),
            ("q", &self.q),
            ("scs_star3_min", &self.scs_star3_min),
        ]
        .into_iter()
        .filter_map(|(k, v)| blank(v).map(|v| (k, v)))
        .collect()
    }

    fn sort_pairs(&self) -> Vec<(&'static str, String)> {
        [("sort", &self.sort), ("order", &self.order), ("sort_category", &self.sort_category)]
            .into_iter()
            .filter_map(|(k, v)| blank(v).map(|v| (k, v)))
            .collect()
    }
}

/// Which way a column sorts now and where its heading links.
struct SortLink {
    href: String,
    aria: Option<&'static str>,
}

fn sort_link(q: &CompareQuery, p: &Parsed, key: ComparisonSort, category: Option<u32>) -> SortLink {
    let current = p.sort.unwrap_or(ComparisonSort::SupplierName) == key
        && (key != ComparisonSort::Category || p.sort_category == category.and_then(|c| i32::try_from(c).ok()));
    let ascending = p.order.unwrap_or(SortOrder::Asc) == SortOrder::Asc;
    let next = if current && ascending { SortOrder::Desc } else { SortOrder::Asc };
    let mut pairs = q.filter_pairs();
    pairs.push(("sort", key.as_str().to_owned()));
    pairs.push(("order", next.as_str().to_owned()));
    if let Some(c) = category {
        pairs.push(("sort_category", c.to_string()));
    }
    let aria = current.then_some(if ascending { "ascending" } else { "descending" });
    SortLink { href: format!("/comparison?{}", query_string(&pairs)), aria }
}

fn sortable(q: &CompareQuery, p: &Parsed, key: ComparisonSort, label: &str) -> Markup {
    let link = sort_link(q, p, key, None);
    html! {
        th scope="col" aria-sort=[link.aria] {
            a href=(link.href) { (label) @if let Some(a) = link.aria { (if a == "ascending" { " ▲" } else { " ▼" }) } }
        }
    }
}

fn filters(w: &Web, q: &CompareQuery, templates: &[templates::TemplateSummary]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let status = v(&q.status);
    let template = v(&q.template_id);
    let scs3 = v(&q.scs_star3_min);
    html! {
        form.filters method="get" action="/comparison" role="search" {
            div { label for="c-q" { (b.search) } input #c-q type="search" name="q" value=(v(&q.q)); }
            div { label for="c-tier" { (b.tier) } input #c-tier type="text" name="tier" value=(v(&q.tier)); }
            div { label for="c-tag" { (b.tag) } input #c-tag type="text" name="tag" value=(v(&q.tag)); }
            div {
                label for="c-status" { (t.status) }
                select #c-status name="status" {
                    option value="" { (b.any) }
                    @for s in Status::ALL { option value=(s.as_str()) selected[status == s.as_str()] { (w.lang.status(s)) } }
                }
            }
            div {
                label for="c-template" { (t.checklist) }
                select #c-template name="template_id" {
                    option value="" { (b.any) }
                    @for tpl in templates {
                        option value=(tpl.id) selected[template == tpl.id.to_string()] {
                            (w.lang.pick(&tpl.name, tpl.name_en.as_deref().unwrap_or(&tpl.name)))
                        }
                    }
                }
            }
            div {
                label for="c-scs3" { (b.scs_star3) }
                select #c-scs3 name="scs_star3_min" title=(b.scs_star3_hint) {
                    option value="" { (b.any) }
                    @for (value, shown) in [("0.5", "50%"), ("0.8", "80%"), ("1", "100%")] {
                        option value=(value) selected[scs3 == value] { (shown) " " (b.at_least) }
                    }
                }
            }
            button.secondary type="submit" { (t.apply) }
        }
    }
}

fn export_links(w: &Web, q: &CompareQuery) -> Markup {
    let b = w.lang.buyer();
    let href = |format: &str| {
        let mut pairs = q.filter_pairs();
        pairs.extend(q.sort_pairs());
        pairs.push(("format", format.to_owned()));
        format!("/comparison/export?{}", query_string(&pairs))
    };
    html! {
        p.actions {
            a.button.secondary href=(href("csv")) download { (b.export_csv) }
            " "
            a.button.secondary href=(href("xlsx")) download { (b.export_xlsx) }
        }
    }
}

fn table(w: &Web, q: &CompareQuery, p: &Parsed, rows: &[ComparisonRow]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        div.table-wrap { table.comparison {
            thead { tr {
                (sortable(q, p, ComparisonSort::SupplierName, t.supplier))
                th scope="col" { (b.tier) }
                (sortable(q, p, ComparisonSort::Status, t.status))
                (sortable(q, p, ComparisonSort::DueDate, t.due_date))
                th scope="col" { (t.progress) }
                (sortable(q, p, ComparisonSort::Overall, b.overall))
                (sortable(q, p, ComparisonSort::Level1, "Lv1"))
                (sortable(q, p, ComparisonSort::Level2, "Lv2"))
                (sortable(q, p, ComparisonSort::Level3, "Lv3"))
                (sortable(q, p, ComparisonSort::AchievedLevel, b.achieved_level))
                th scope="col" { (b.meets_target) }
                th scope="col" title=(b.scs_star3_hint) { (b.scs_star3_short) }
            } }
            tbody { @for r in rows {
                tr {
                    th scope="row" {
                        a href={ "/assessments/" (r.assessment.id) } { (r.supplier.name) }
                        " · Lv" (r.supplier.target_level)
                    }
                    td { (r.supplier.tier.as_deref().unwrap_or("—")) }
                    td {
                        span class={ "badge " (r.assessment.status.as_str()) } { (w.lang.status(r.assessment.status)) }
                        @if r.assessment.overdue { " " span.badge.overdue { (t.overdue) } }
                    }
                    td { (layout::date(w, r.assessment.due_date)) }
                    td { (r.assessment.progress.answered) " / " (r.assessment.progress.total) }
                    @let shared = r.shared.as_ref().and_then(|s| s.score.as_ref().map(|f| (s, f)));
                    @match (&r.score, shared) {
                        (Some(s), _) => {
                            td.num { a href={ "/assessments/" (s.assessment_id) } { (percent(s.overall)) } }
                            td.num { (percent(s.levels.l1)) }
                            td.num { (percent(s.levels.l2)) }
                            td.num { (percent(s.levels.l3)) }
                            td.num { "Lv" (s.achieved_level) }
                            td { (if s.meets_target { t.yes } else { t.no }) }
                            // Rounded down: a share shown as 80 % is one the "80 % or more"
                            // filter keeps.
                            td.num { (percent(s.scs.map(|r| (r.star3 * 100.0 + 1e-9).floor() / 100.0))) }
                        }
                        // Until the supplier submits what was sent, what it shared stands in,
                        // marked as shared and dated.
                        (None, Some((share, f))) => {
                            td.num {
                                (percent(f.overall)) " "
                                span.badge.shared title=(b.shared_badge_hint) {
                                    (b.shared_badge) " " (layout::datetime(w, share.submitted_at.unwrap_or(share.shared_at)))
                                }
                            }
                            td.num { (percent(f.levels.l1)) }
                            td.num { (percent(f.levels.l2)) }
                            td.num { (percent(f.levels.l3)) }
                            td.num { "Lv" (f.achieved_level) }
                            // Against this buyer's target for the supplier, not the level
                            // the shared answers were given for.
                            td { (if i32::from(f.achieved_level) >= r.supplier.target_level { t.yes } else { t.no }) }
                            td.num { "—" }
                        }
                        (None, None) if r.shared.is_some() => { td.num colspan="7" { (b.terms_pending) } }
                        (None, None) => { td.num colspan="7" { (b.not_scored) } }
                    }
                }
            } }
        } }
    }
}

/// A page's rows, or none when its `template_id` filter names a template the caller cannot see.
fn unless_unknown<T>(page: Result<Page<T>, DomainError>) -> ApiResult<Vec<T>> {
    match page {
        Ok(page) => Ok(page.data),
        Err(DomainError::Validation(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// What suppliers shared with the caller's organization (a page of `/comparison/shared`):
/// beside the assessments it sent, marked as shared and dated.
fn shared_table(w: &Web, rows: &[SharedComparisonRow]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        section aria-labelledby="shared-heading" {
            h2 #shared-heading { (b.shared_title) }
            p.hint { (b.shared_lead) }
            div.table-wrap { table.shared {
                thead { tr {
                    th scope="col" { (t.supplier) }
                    th scope="col" { (b.shared_kind) }
                    th scope="col" { (b.shared_date) }
                    th scope="col" { (b.overall) }
                    th scope="col" { (b.achieved_level) }
                    th scope="col" { (b.shared_until) }
                } }
                tbody { @for r in rows {
                    tr {
                        th scope="row" { (r.supplier.as_ref().map_or(r.share.owner.name.as_str(), |s| s.name.as_str())) }
                        td { (match r.share.kind { ShareKind::Snapshot => b.shared_snapshot, ShareKind::Live => b.shared_live }) }
                        td { (layout::datetime(w, r.share.submitted_at.unwrap_or(r.share.created_at))) }
                        @match &r.score {
                            Some(s) => { td.num { (percent(s.overall)) } td.num { "Lv" (s.achieved_level) } }
                            None => { td colspan="2" { (b.terms_pending) } }
                        }
                        td { (layout::datetime(w, r.share.expires_at)) }
                    }
                } }
            } }
        }
    }
}

/// The supply chain below each Tier-1 that forwarded its figure (a page of
/// `/comparison/supply-chain`).
fn below_table(w: &Web, rows: &[SupplyChainBelow]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        section aria-labelledby="below-heading" {
            h2 #below-heading { (b.below_title) }
            p.hint { (b.below_lead) }
            div.table-wrap { table.below {
                thead { tr {
                    th scope="col" { (t.supplier) }
                    th scope="col" { (b.below_asked) }
                    th scope="col" { (b.below_answered) }
                    th scope="col" { (b.below_counted) }
                    th scope="col" { (b.below_levels) }
                    th scope="col" { (b.below_named) }
                } }
                tbody { @for r in rows {
                    @let f = &r.figure;
                    tr {
                        th scope="row" { (r.supplier.as_ref().map_or(r.forward.organization.name.as_str(), |s| s.name.as_str())) }
                        td.num { (f.asked) }
                        td.num { (f.answered) }
                        td.num { (f.counted) }
                        td { (f.levels.none) " / " (f.levels.level1) " / " (f.levels.level2) " / " (f.levels.level3) }
                        td { @for (i, n) in f.named.iter().enumerate() {
                            @if i > 0 { ", " }
                            (n.name) " (Lv" (n.achieved_level) ")"
                        } }
                    }
                } }
            } }
        }
    }
}

/// The heat class of an achievement: five steps of 20 %, `none` without a figure.
fn heat(a: Option<f64>) -> &'static str {
    match a {
        None => "none",
        Some(v) if v < 0.2 => "h0",
        Some(v) if v < 0.4 => "h1",
        Some(v) if v < 0.6 => "h2",
        Some(v) if v < 0.8 => "h3",
        Some(_) => "h4",
    }
}

fn heatmap(w: &Web, q: &CompareQuery, p: &Parsed, columns: &[ComparisonCategory], rows: &[HeatmapRow]) -> Markup {
    let t = w.t();
    let b = w.lang.buyer();
    html! {
        div.table-wrap { table.heat {
            caption { (b.heatmap_caption) }
            thead { tr {
                th scope="col" { (t.supplier) }
                @for c in columns {
                    @let link = sort_link(q, p, ComparisonSort::Category, Some(c.number));
                    th scope="col" abbr=(c.name) title=(c.name) aria-sort=[link.aria] {
                        a href=(link.href) aria-label={ (c.number) ". " (c.name) } { (c.number) }
                    }
                }
            } }
            tbody { @for r in rows {
                tr {
                    th scope="row" {
                        (r.supplier.name)
                        @if r.share_id.is_some() { " " span.badge.shared title=(b.shared_badge_hint) { (b.shared_badge) } }
                    }
                    @for c in columns {
                        @let a = r.categories.iter().find(|x| x.number == c.number).and_then(|x| x.achievement);
                        td class={ "cell " (heat(a)) } { (percent(a)) }
                    }
                }
            } }
        } }
    }
}

fn radars(w: &Web, rows: &[HeatmapRow], columns: &[ComparisonCategory]) -> Markup {
    let b = w.lang.buyer();
    html! {
        div.radars {
            @for r in rows.iter().filter(|r| r.assessment_id.is_some() || r.share_id.is_some()) {
                @let axes: Vec<(u32, Option<f64>)> = columns.iter()
                    .map(|c| (c.number, r.categories.iter().find(|x| x.number == c.number).and_then(|x| x.achievement)))
                    .collect();
                @let label = format!("{}: {}", r.supplier.name, b.radar_label);
                figure.radar {
                    (radar::chart(&label, &axes))
                    figcaption {
                        (r.supplier.name)
                        @if r.share_id.is_some() { " " span.badge.shared { (b.shared_badge) } }
                    }
                }
            }
        }
    }
}

pub async fn show(w: Web, query: web::Query<CompareQuery>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.t();
    let b = w.lang.buyer();
    let k = &w.state.kensa;
    let p = query.parse()?;
    let request = ComparisonRequest::parse(
        p.filter.clone(),
        p.sort,
        p.order,
        p.sort_category,
        Some(PAGE_SIZE),
        query.cursor.clone(),
    )?;
    let list = comparison::service::list(k, ctx, &request).await?;
    // The same page's rows: their shares' views were recorded by the table's read.
    let quiet = ComparisonRequest { shares: SharesBeside::Quiet, ..request };
    let map = comparison::service::heatmap(k, ctx, &quiet).await?;
    let templates = templates::service::list(k, ctx, &PageRequest::parse(Some(200), None)?).await?.data;
    let rows: Vec<ComparisonRow> = list.rows.into_iter().map(|(_, r)| r).collect();
    // What others shared and forwarded, first pages (each shared score shown is a view in
    // the supplier's trail, as over the API).
    // Only with the table's first page (a later page would repeat them), and a template the
    // caller cannot see shows nothing here as it does above.
    let (mut shared, mut below) = (Vec::new(), Vec::new());
    if query.cursor.is_none() {
        let first = PageRequest::parse(Some(PAGE_SIZE), None)?;
        shared = unless_unknown(shares::shared_comparison(k, ctx, p.filter.template_id, &first).await)?;
        below = unless_unknown(supply_chain::supply_chain_below(k, ctx, p.filter.template_id, &first).await)?;
    }
    let heat_rows: Vec<HeatmapRow> = map.page.rows.into_iter().map(|(_, r)| r).collect();
    let more = list.next_cursor.as_ref().map(|next| {
        let mut pairs = query.filter_pairs();
        pairs.extend(query.sort_pairs());
        pairs.push(("cursor", next.clone()));
        format!("/comparison?{}", query_string(&pairs))
    });
    let body = html! {
        (filters(&w, &query, &templates))
        (export_links(&w, &query))
        @if rows.is_empty() {
            p { (b.no_comparison) }
        } @else {
            section aria-labelledby="table-heading" {
                h2 #table-heading { (b.comparison_table) }
                (table(&w, &query, &p, &rows))
            }
            section aria-labelledby="heat-heading" {
                h2 #heat-heading { (b.heatmap) }
                (heatmap(&w, &query, &p, &map.categories, &heat_rows))
            }
            section aria-labelledby="radar-heading" {
                h2 #radar-heading { (b.radar) }
                @if heat_rows.iter().all(|r| r.assessment_id.is_none() && r.share_id.is_none()) { p { (b.not_scored) } }
                (radars(&w, &heat_rows, &map.categories))
            }
        }
        @if let Some(href) = &more { p { a href=(href) { (t.more) } } }
        @if !shared.is_empty() { (shared_table(&w, &shared)) }
        @if !below.is_empty() { (below_table(&w, &below)) }
    };
    Ok(layout::ok(&w, b.comparison_title, body))
}

/// The comparison as a file: the API's export, with the browser's session.
pub async fn download(w: Web, query: web::Query<CompareQuery>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let p = query.parse()?;
    let format = match blank(&query.format) {
        None => return Err(DomainError::validation("format", ErrorCode::Required, "csv or xlsx").into()),
        Some(f) => ExportFormat::parse(&f).ok_or_else(|| invalid("format", "csv or xlsx"))?,
    };
    let file = export::export(&w.state.kensa, ctx, p.filter, (p.sort, p.order, p.sort_category), format).await?;
    crate::rest::comparison::download(&w.state, file).await
}
