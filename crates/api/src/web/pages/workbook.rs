//! The check sheet in Excel from the assessment page: the download as the API writes it, and
//! the upload of a filled copy (a multipart form read with the evidence form's bounded
//! reader), whose refusals are listed cell by cell on a page of their own.

use std::cell::Cell;
use std::rc::Rc;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::evidence;
use kensa_domain::assessments::workbook::{self, MAX_UPLOAD_BYTES};
use kensa_domain::precondition::IfMatch;
use kensa_domain::users::Locale;
use kensa_domain::{DomainError, ErrorCode, FieldError};
use maud::{Markup, html};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::rest::evidence::{UploadForm, counted, read_form};
use crate::rest::workbook::{WorkbookQuery, workbook_response};
use crate::web::context::{CSRF_FIELD, Web, csrf_refused, redirect, same_token, signed_in};
use crate::web::layout::{self, csrf_field};

pub async fn download(w: Web, path: web::Path<Uuid>, query: Query<WorkbookQuery>) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let lang = query.into_inner().lang.unwrap_or(Locale::Ja);
    Ok(workbook_response(workbook::export(&w.state.kensa, ctx, *path, lang).await?))
}

pub async fn upload(req: HttpRequest, w: Web, path: web::Path<Uuid>, payload: web::Payload) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let id = *path;
    // Another organization's assessment is not found, and an upload slot (which bounds the
    // parses, shared with evidence) is taken by someone who may answer it, before any byte
    // of the form is read.
    let _slot = evidence::admit(&w.state.kensa, ctx, id).await?;
    // The file and a CSRF token: a little over the workbook's own limit.
    let limit = MAX_UPLOAD_BYTES + 64 * 1024;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let over = Rc::new(Cell::new(false));
    let form = Multipart::new(req.headers(), counted(payload, limit, over.clone()));
    let UploadForm { file, fields, .. } = read_form(&w.state, form, limit, &over).await?;
    let token = fields.iter().find(|(name, _)| name == CSRF_FIELD).map(|(_, v)| v.as_str());
    if !token.is_some_and(|t| same_token(t, w.csrf())) {
        return Err(csrf_refused());
    }
    let (_, _, staged) = file
        .filter(|(_, _, staged)| staged.size > 0)
        .ok_or_else(|| ApiError::from(DomainError::validation("file", ErrorCode::Required, "choose a workbook")))?;
    if staged.size > MAX_UPLOAD_BYTES {
        return Err(ApiError::PayloadTooLarge(MAX_UPLOAD_BYTES));
    }
    let bytes = tokio::fs::read(staged.path()).await.map_err(DomainError::internal)?;
    match workbook::import(&w.state.kensa, ctx, id, bytes, IfMatch::Absent).await {
        Ok(_) => Ok(redirect(&format!("/assessments/{id}?done=workbook"))),
        Err(DomainError::Validation(problems)) => Ok(refused(&w, id, &problems)),
        Err(e) => Err(e.into()),
    }
}

/// The problems of a refused workbook, each with its cell, and the way back.
fn refused(w: &Web, id: Uuid, problems: &[FieldError]) -> HttpResponse {
    let t = w.t();
    let body: Markup = html! {
        p { (t.workbook_refused_lead) }
        table {
            thead { tr { th scope="col" { (t.workbook_cell) } th scope="col" { (t.workbook_problem) } } }
            tbody {
                @for p in problems {
                    tr { td { code { (p.field) } } td lang="en" { (p.message) } }
                }
            }
        }
        p { a href={ "/assessments/" (id) "#workbook-heading" } { (t.workbook_back) } }
    };
    layout::respond(w, StatusCode::UNPROCESSABLE_ENTITY, layout::page(w, t.workbook_refused_title, body))
}

/// The panel on the assessment page: download in either language, upload while answering.
pub fn panel(w: &Web, id: Uuid, editable: bool) -> Markup {
    let t = w.t();
    html! {
        section.card aria-labelledby="workbook-heading" {
            h2 #workbook-heading { (t.workbook_title) }
            p { (if editable { t.workbook_lead_answer } else { t.workbook_lead_read }) }
            p {
                a href={ "/assessments/" (id) "/workbook?lang=ja" } download { (t.workbook_download_ja) }
                " · "
                a href={ "/assessments/" (id) "/workbook?lang=en" } download { (t.workbook_download_en) }
            }
            @if editable {
                form method="post" action={ "/assessments/" (id) "/workbook" } enctype="multipart/form-data" {
                    (csrf_field(w))
                    label for="workbook-file" { (t.workbook_file) }
                    input #workbook-file type="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
                    " " button.secondary type="submit" { (t.workbook_upload) }
                }
            }
        }
    }
}
