//! `/supplier-claims`: acceptances of a supplier invitation from an address that was not
//! the invited contact's, waiting for the buyer's owners and admins (the claim mail links
//! to `/supplier-claims/{id}`).

use actix_web::{HttpResponse, web};
use kensa_domain::assessments::claims::{self, ClaimStatus, SupplierClaim};
use kensa_domain::pagination::PageRequest;
use maud::{Markup, html};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::web::context::signed_in;
use crate::web::context::{Posted, Web, redirect};
use crate::web::layout::{self, csrf_field};

fn status_text(w: &Web, status: ClaimStatus) -> &'static str {
    let t = w.t();
    match status {
        ClaimStatus::Pending => t.claim_pending,
        ClaimStatus::Approved => t.claim_approved,
        ClaimStatus::Rejected => t.claim_rejected,
        ClaimStatus::Superseded => t.claim_superseded,
    }
}

fn claim_facts(w: &Web, c: &SupplierClaim) -> Markup {
    let t = w.t();
    html! {
        dl.facts {
            dt { (t.supplier) } dd { (c.supplier_name) }
            dt { (t.claim_invited) } dd { (c.invited_email) }
            dt { (t.claim_by) } dd { (c.claimant_name) " <" (c.claimant_email) ">" }
            dt { (t.organization_name) } dd { (c.claimant_organization_name) }
            dt { (t.status) } dd { span.badge { (status_text(w, c.status)) } }
            dt { (t.claim_received) } dd { (layout::datetime(w, c.created_at)) }
        }
    }
}

pub async fn list(w: Web) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.t();
    let page = PageRequest::parse(Some(100), None)?;
    let found = claims::list(&w.state.kensa, ctx.admin()?, Some(ClaimStatus::Pending), &page).await?;
    let body = html! {
        p { (t.claims_lead) }
        @if found.data.is_empty() { p { (t.claims_none) } }
        ul {
            @for c in &found.data {
                li { a href={ "/supplier-claims/" (c.id) } { (c.supplier_name) " — " (c.claimant_email) } }
            }
        }
    };
    Ok(layout::ok(&w, t.claims_title, body))
}

pub async fn show(w: Web, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let t = w.t();
    let claim = claims::get(&w.state.kensa, ctx.admin()?, *id).await?;
    let body = html! {
        (claim_facts(&w, &claim))
        p { a href={ "/assessments/" (claim.assessment_id) } { (t.open) } }
        @if claim.status == ClaimStatus::Pending {
            p { (t.claim_decide) }
            div.actions {
                form method="post" action={ "/supplier-claims/" (claim.id) "/approve" } {
                    (csrf_field(&w)) button type="submit" { (t.claim_approve) }
                }
                form method="post" action={ "/supplier-claims/" (claim.id) "/reject" } {
                    (csrf_field(&w)) button.secondary type="submit" { (t.claim_reject) }
                }
            }
        }
    };
    Ok(layout::ok(&w, t.claims_title, body))
}

pub async fn approve(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    claims::approve(&posted.w.state.kensa, ctx.admin()?, *id).await?;
    Ok(redirect(&format!("/supplier-claims/{}", *id)))
}

pub async fn reject(posted: Posted, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(posted.w);
    claims::reject(&posted.w.state.kensa, ctx.admin()?, *id).await?;
    Ok(redirect(&format!("/supplier-claims/{}", *id)))
}
