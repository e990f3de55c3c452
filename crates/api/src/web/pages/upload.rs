//! Evidence uploads from the assessment page: a multipart form read with the API's own
//! bounded reader (the same limits), then the same service.

use std::cell::Cell;
use std::rc::Rc;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::evidence::{self, Upload};
use kensa_domain::precondition::IfMatch;
use kensa_domain::{DomainError, ErrorCode};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::rest::evidence::{MAX_BODY_BYTES, UploadForm, counted, read_form};
use crate::web::context::signed_in;
use crate::web::context::{CSRF_FIELD, CSRF_HEADER, Web, csrf_refused, redirect, same_token};

pub async fn upload(req: HttpRequest, w: Web, path: web::Path<Uuid>, payload: web::Payload) -> ApiResult<HttpResponse> {
    let ctx = signed_in!(w);
    let id = *path;
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    let header_token = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if header_token.as_deref().is_some_and(|t| !same_token(t, w.csrf())) {
        return Err(csrf_refused());
    }
    let _slot = evidence::admit(&w.state.kensa, ctx, id).await?;
    let over = Rc::new(Cell::new(false));
    let form = Multipart::new(req.headers(), counted(payload, MAX_BODY_BYTES, over.clone()));
    let UploadForm { file, item_no, fields } = read_form(&w.state, form, MAX_BODY_BYTES, &over).await?;
    let field_token = fields.iter().find(|(name, _)| name == CSRF_FIELD).map(|(_, v)| v.as_str());
    if !header_token.as_deref().or(field_token).is_some_and(|t| same_token(t, w.csrf())) {
        return Err(csrf_refused());
    }
    let (file_name, content_type, file) = file
        .filter(|(name, _, staged)| !name.is_empty() || staged.size > 0)
        .ok_or_else(|| ApiError::from(DomainError::validation("file", ErrorCode::Required, "choose a file")))?;
    let upload = Upload { file_name, content_type, file, item_no };
    evidence::upload(&w.state.kensa, ctx, id, upload, IfMatch::Any).await?;
    let anchor = item_no.map_or_else(String::new, |n| format!("#item-{n}"));
    Ok(redirect(&format!("/assessments/{id}{anchor}")))
}
