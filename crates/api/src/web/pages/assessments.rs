//! `/assessments`: the organization's assessments from both sides.

use actix_web::HttpResponse;
use actix_web::web;
use kensa_domain::assessments::model::Assessment;
use kensa_domain::assessments::service::{self, AssessmentFilter};
use kensa_domain::pagination::PageRequest;
use maud::{Markup, html};
use serde::Deserialize;

use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Web, encode};
use crate::web::layout;

const PAGE_SIZE: u64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    answer_cursor: Option<String>,
    sent_cursor: Option<String>,
}

pub fn status_badge(w: &Web, a: &Assessment) -> Markup {
    html! {
        span class={ "badge " (a.status.as_str()) } { (w.lang.status(a.status)) }
        @if a.overdue { " " span.badge.overdue { (w.t().overdue) } }
    }
}

fn table(w: &Web, rows: &[Assessment], counterpart_is_buyer: bool) -> Markup {
    let t = w.t();
    html! {
        div.table-wrap {
            table {
                thead { tr {
                    th scope="col" { (if counterpart_is_buyer { t.buyer } else { t.supplier }) }
                    th scope="col" { (t.status) }
                    th scope="col" { (t.due_date) }
                    th scope="col" { (t.progress) }
                    th scope="col" { span.visually-hidden { (t.open) } }
                } }
                tbody {
                    @for a in rows {
                        tr {
                            td { (if counterpart_is_buyer { &a.buyer.name } else { &a.supplier.name }) " · Lv" (a.target_level) }
                            td { (status_badge(w, a)) }
                            td { (layout::date(w, a.due_date)) }
                            td { (layout::progress(t.answered_of, a.progress.answered, a.progress.total)) }
                            td { a href={ "/assessments/" (a.id) } { (t.open) } }
                        }
                    }
                }
            }
        }
    }
}

async fn section(w: &Web, side: &str, cursor: Option<&str>) -> ApiResult<(Vec<Assessment>, Option<String>)> {
    let Some(ctx) = w.tenant() else { return Ok((Vec::new(), None)) };
    let filter = AssessmentFilter { role: Some(side.to_owned()), ..Default::default() };
    let page = PageRequest::parse(Some(PAGE_SIZE), cursor)?;
    let found = service::list(&w.state.kensa, ctx, &filter, &page).await?;
    Ok((found.data, found.next_cursor))
}

pub async fn list(w: Web, query: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    signed_in!(w);
    let t = w.t();
    let (to_answer, answer_next) = section(&w, "supplier", query.answer_cursor.as_deref()).await?;
    let (sent, sent_next) = section(&w, "buyer", query.sent_cursor.as_deref()).await?;
    let body = html! {
        section aria-labelledby="to-answer" {
            h2 #to-answer { (t.assessments_to_answer) }
            @if to_answer.is_empty() { p { (t.no_assessments) } } @else { (table(&w, &to_answer, true)) }
            @if let Some(next) = answer_next { p { a href={ "/assessments?answer_cursor=" (encode(&next)) } { (t.more) } } }
        }
        section aria-labelledby="sent" {
            h2 #sent { (t.assessments_sent) }
            @if sent.is_empty() { p { (t.no_assessments) } } @else { (table(&w, &sent, false)) }
            @if let Some(next) = sent_next { p { a href={ "/assessments?sent_cursor=" (encode(&next)) } { (t.more) } } }
        }
    };
    Ok(layout::ok(&w, t.assessments_title, body))
}
