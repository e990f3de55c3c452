//! The supplier's answer library: answer once, reuse for every buyer.
//!
//! Per supplier organization and template line (a template's versions, as re-reviews use
//! them), the latest answer to each item with its remediation plan and evidence files.
//! Submitting an assessment puts its answers there; owners, admins and respondents can edit
//! it as a draft profile. Any new assessment of the line, from any buyer, can then be
//! prefilled from it in one action: items still unanswered (or carried over and not yet
//! confirmed) get the library's answer, marked carried over, so nothing is submitted until
//! the supplier confirms each one; the preview says per item how the answer compares with
//! the one this buyer last received.
//!
//! Only the supplier organization sees its library: the buyer side of an assessment gets
//! 403 on its prefill, and every other organization finds nothing.

pub mod model;
pub(crate) mod repo;

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

pub use model::{
    GivenAnswer, Library, LibraryAnswer, LibraryFile, LibraryLine, PrefillAction, PrefillChange, PrefillItem,
    PrefillPlan,
};

use crate::Kensa;
use crate::assessments::access::{self, Visible};
use crate::assessments::answers::{answer_row, same_answer, snapshot, trimmed, violations};
use crate::assessments::history::{self, NewEvent};
use crate::assessments::service::scope;
use crate::assessments::{AnswerInput, HistoryKind, Status};
use crate::entities::{answers, evidence, library_answers, library_evidence, templates};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::precondition::IfMatch;
use crate::templates::AnswerStatus;
use crate::tenant::{Role, TenantCtx};

/// A template line: what the library is kept by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub owner_key: String,
    pub key: String,
}

impl Line {
    pub(crate) fn of(template: &templates::Model) -> Self {
        Self { owner_key: template.owner_key.clone(), key: template.key.clone() }
    }

    /// The line of a `template_id` filter: a template the caller may see, else a 422 naming
    /// the field.
    pub(crate) async fn of_filter(k: &Kensa, ctx: &TenantCtx, template_id: Uuid) -> DomainResult<Self> {
        let template = crate::templates::repo::find_visible(&k.db, ctx, template_id)
            .await?
            .ok_or_else(|| DomainError::validation("template_id", ErrorCode::NotFound, "no such template"))?;
        Ok(Self::of(&template))
    }
}

/// The library is the supplier organization's working copy: its owners, admins and
/// respondents (those who answer) keep it.
fn keeper(ctx: &TenantCtx) -> DomainResult<()> {
    if matches!(ctx.role(), Role::Owner | Role::Admin | Role::Respondent) {
        Ok(())
    } else {
        Err(DomainError::Forbidden)
    }
}

/// A template the caller may address the library by: a built-in, one of its organization's,
/// or the template of an assessment addressed to it.
pub(crate) async fn template_for(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<templates::Model> {
    if let Some(t) = crate::templates::repo::find_visible(&k.db, ctx, id).await? {
        return Ok(t);
    }
    if repo::answers_template(&k.db, ctx, id).await?
        && let Some(t) = templates::Entity::find_by_id(id).one(&k.db).await?
    {
        return Ok(t);
    }
    Err(DomainError::NotFound("template"))
}

fn given(
    status: &str,
    a: (&Option<String>, &Option<String>, &Option<String>),
    due: Option<chrono::NaiveDate>,
) -> DomainResult<GivenAnswer> {
    Ok(GivenAnswer {
        status: AnswerStatus::try_from(status)?,
        comment: a.0.clone(),
        reason: a.1.clone(),
        remediation_plan: a.2.clone(),
        remediation_due: due,
    })
}

fn library_given(r: &library_answers::Model) -> DomainResult<GivenAnswer> {
    given(&r.status, (&r.comment, &r.reason, &r.remediation_plan), r.remediation_due)
}

/// The library's answer as an answer input: what a prefill checks and writes.
fn library_input(r: &library_answers::Model) -> DomainResult<AnswerInput> {
    Ok(AnswerInput {
        status: AnswerStatus::try_from(r.status.as_str())?,
        comment: r.comment.clone(),
        reason: r.reason.clone(),
        remediation_plan: r.remediation_plan.clone(),
        remediation_due: r.remediation_due,
    })
}

fn answer_given(r: &answers::Model) -> DomainResult<GivenAnswer> {
    given(&r.status, (&r.comment, &r.reason, &r.remediation_plan), r.remediation_due)
}

fn file_view(f: &library_evidence::Model) -> LibraryFile {
    LibraryFile {
        id: f.id,
        file_name: f.file_name.clone(),
        content_type: f.content_type.clone(),
        size: f.size,
        sha256: f.sha256.clone(),
    }
}

fn item_no(no: i32) -> DomainResult<u32> {
    u32::try_from(no).map_err(DomainError::internal)
}

fn answer_view(r: &library_answers::Model, files: &[library_evidence::Model]) -> DomainResult<LibraryAnswer> {
    Ok(LibraryAnswer {
        no: item_no(r.item_no)?,
        status: AnswerStatus::try_from(r.status.as_str())?,
        comment: r.comment.clone(),
        reason: r.reason.clone(),
        remediation_plan: r.remediation_plan.clone(),
        remediation_due: r.remediation_due,
        source_assessment_id: r.source_assessment_id,
        updated_at: r.updated_at,
        evidence: files.iter().filter(|f| f.item_no == r.item_no).map(file_view).collect(),
    })
}

/// Every line the caller's library holds answers for, by line: its newest version, the
/// items answered and when the newest was.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn lines(k: &Kensa, ctx: &TenantCtx) -> DomainResult<Vec<LibraryLine>> {
    keeper(ctx)?;
    let mut out = Vec::new();
    for (line, items, updated_at) in repo::lines(&k.db, ctx.org_id().0).await? {
        // A line whose templates are all gone, or that the caller can no longer address by
        // any version, has nothing to address it by.
        if let Some(template) = newest_addressable(k, ctx, &line).await? {
            out.push(LibraryLine { template_id: template.id, template_name: template.name, items, updated_at });
        }
    }
    Ok(out)
}

/// The newest version of the line that the caller can address (see [`template_for`]): a
/// buyer's own checklist only in the versions the caller was sent.
async fn newest_addressable(k: &Kensa, ctx: &TenantCtx, line: &Line) -> DomainResult<Option<templates::Model>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let versions = crate::templates::repo::line_versions(&k.db, &line.owner_key, &line.key).await?;
    let mut found: Vec<templates::Model> =
        templates::Entity::find().filter(templates::Column::Id.is_in(versions)).all(&k.db).await?;
    found.sort_by_key(|t| std::cmp::Reverse(t.version));
    for template in found {
        match template_for(k, ctx, template.id).await {
            Ok(t) => return Ok(Some(t)),
            Err(DomainError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The version of a share request's checklist line that the asked supplier can address: a
/// reply names the requester's checklist, which for a buyer's own checklist may be a version
/// the supplier was never sent. `None` unless `request` asks the caller's organization about
/// `template_id`.
pub(crate) async fn version_for_request(
    k: &Kensa,
    ctx: &TenantCtx,
    request: Uuid,
    template_id: Uuid,
) -> DomainResult<Option<templates::Model>> {
    use crate::entities::share_requests;
    use sea_orm::{ColumnTrait, QueryFilter};
    let asked = share_requests::Entity::find_by_id(request)
        .filter(share_requests::Column::SupplierOrganizationId.eq(ctx.org_id().0))
        .filter(share_requests::Column::TemplateId.eq(template_id))
        .one(&k.db)
        .await?;
    let Some(asked) = asked else { return Ok(None) };
    let Some(template) = templates::Entity::find_by_id(asked.template_id).one(&k.db).await? else { return Ok(None) };
    newest_addressable(k, ctx, &Line::of(&template)).await
}

/// The checklist a library page shows the line by: `template_id`'s tree and answer scale,
/// for a template the caller can address as [`view`] takes it.
#[instrument(skip_all, fields(org = %ctx.org_id(), template = %template_id))]
pub async fn checklist(
    k: &Kensa,
    ctx: &TenantCtx,
    template_id: Uuid,
) -> DomainResult<crate::templates::service::TemplateView> {
    keeper(ctx)?;
    let template = template_for(k, ctx, template_id).await?;
    crate::templates::service::view(&template, crate::templates::service::TreeFilter::default())
}

/// The caller's library for the line of `template_id`.
#[instrument(skip_all, fields(org = %ctx.org_id(), template = %template_id))]
pub async fn view(k: &Kensa, ctx: &TenantCtx, template_id: Uuid) -> DomainResult<Library> {
    keeper(ctx)?;
    let template = template_for(k, ctx, template_id).await?;
    let line = Line::of(&template);
    let rows = repo::answers(&k.db, ctx.org_id().0, &line).await?;
    let files = repo::files(&k.db, ctx.org_id().0, &line).await?;
    let items = rows.iter().map(|r| answer_view(r, &files)).collect::<DomainResult<_>>()?;
    Ok(Library { template_id: template.id, template_name: template.name, items })
}

/// Writes one item of the library by hand (the draft profile), checked against the rules of
/// `template_id`'s checklist. Its evidence files stay as they are.
#[instrument(skip_all, fields(org = %ctx.org_id(), template = %template_id, no = no))]
pub async fn save_item(
    k: &Kensa,
    ctx: &TenantCtx,
    template_id: Uuid,
    no: u32,
    input: AnswerInput,
) -> DomainResult<LibraryAnswer> {
    keeper(ctx)?;
    let template = template_for(k, ctx, template_id).await?;
    let parsed = k.template_contents.load(&k.db, template.id).await?;
    if !parsed.0.items().any(|(_, _, i)| i.no == no) {
        return Err(DomainError::NotFound("item"));
    }
    let errors = violations(&input, &parsed.1, "");
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    let line = Line::of(&template);
    let now = k.now();
    let row = library_answers::Model {
        organization_id: ctx.org_id().0,
        line_owner_key: line.owner_key.clone(),
        line_key: line.key.clone(),
        item_no: i32::try_from(no).map_err(DomainError::internal)?,
        status: input.status.as_str().to_owned(),
        comment: trimmed(input.comment),
        reason: trimmed(input.reason),
        remediation_plan: trimmed(input.remediation_plan),
        remediation_due: input.remediation_due,
        source_assessment_id: None,
        updated_by: ctx.user_id().map(|u| u.0),
        updated_at: now,
    };
    let txn = k.begin_write().await?;
    repo::upsert_answers(&txn, vec![row.clone()]).await?;
    crate::audit::record_action(
        &txn,
        ctx,
        "library.item_saved",
        Some(("template", template.id.to_string())),
        json!({ "no": no }),
    )
    .await?;
    txn.commit().await?;
    let files = repo::files(&k.db, ctx.org_id().0, &line).await?;
    answer_view(&row, &files)
}

/// Removes one item (its answer and its evidence references) from the library.
#[instrument(skip_all, fields(org = %ctx.org_id(), template = %template_id, no = no))]
pub async fn delete_item(k: &Kensa, ctx: &TenantCtx, template_id: Uuid, no: u32) -> DomainResult<()> {
    keeper(ctx)?;
    let template = template_for(k, ctx, template_id).await?;
    let line = Line::of(&template);
    let no = i32::try_from(no).map_err(|_| DomainError::NotFound("item"))?;
    let txn = k.begin_write().await?;
    let Some(removed) = repo::delete_item(&txn, ctx.org_id().0, &line, no).await? else {
        return Err(DomainError::NotFound("item"));
    };
    crate::audit::record_action(
        &txn,
        ctx,
        "library.item_deleted",
        Some(("template", template.id.to_string())),
        json!({ "no": no }),
    )
    .await?;
    txn.commit().await?;
    release(k, Unreferenced(removed)).await;
    Ok(())
}

/// What [`plan`] found, with the rows a prefill copies.
struct Planned {
    plan: PrefillPlan,
    copy: Vec<(library_answers::Model, Vec<library_evidence::Model>)>,
    existing: HashMap<i32, answers::Model>,
}

/// The prefill of the assessment from the supplier's library, read through `conn` (inside
/// the writer's transaction when it is applied).
async fn plan(
    k: &Kensa,
    conn: &impl sea_orm::ConnectionTrait,
    ctx: &TenantCtx,
    visible: &Visible,
    version: i32,
) -> DomainResult<Planned> {
    let row = visible.row();
    let template =
        templates::Entity::find_by_id(row.template_id).one(conn).await?.ok_or(DomainError::NotFound("template"))?;
    let line = Line::of(&template);
    let parsed = k.template_contents.load(conn, row.template_id).await?;
    let in_scope: BTreeSet<u32> = scope(&parsed.0, row.target_level);
    let library = repo::answers(conn, ctx.org_id().0, &line).await?;
    let files = repo::files(conn, ctx.org_id().0, &line).await?;
    let existing = crate::assessments::repo::answers(conn, visible).await?;
    let last = repo::last_given(conn, row, &line).await?;
    // The caller's organization supplied that one too: it is visible to the caller.
    let last_answers: HashMap<i32, answers::Model> = match &last {
        Some(a) => crate::assessments::repo::answers(conn, &access::load(conn, ctx, a.id).await?).await?,
        None => HashMap::new(),
    };
    let (mut items, mut copy) = (Vec::new(), Vec::new());
    for entry in library {
        let no = item_no(entry.item_no)?;
        if !in_scope.contains(&no) {
            continue;
        }
        let offered = library_given(&entry)?;
        let input = library_input(&entry)?;
        let action = if existing.get(&entry.item_no).is_some_and(|a| !a.carried_over) {
            PrefillAction::KeepAnswer
        } else if !violations(&input, &parsed.1, "").is_empty() {
            PrefillAction::NotAllowed
        } else {
            PrefillAction::Prefill
        };
        let last_given = last_answers.get(&entry.item_no).map(answer_given).transpose()?;
        let change = match &last_given {
            None => PrefillChange::New,
            Some(before) if *before == offered => PrefillChange::Unchanged,
            Some(_) => PrefillChange::Changed,
        };
        let item_files: Vec<library_evidence::Model> =
            files.iter().filter(|f| f.item_no == entry.item_no).cloned().collect();
        items.push(PrefillItem {
            no,
            action,
            change,
            library: offered,
            last_given,
            evidence: item_files.iter().map(file_view).collect(),
        });
        if action == PrefillAction::Prefill {
            copy.push((entry, item_files));
        }
    }
    let plan = PrefillPlan {
        assessment_id: row.id,
        last_given_in: last.as_ref().map(|a| a.id),
        last_given_at: last.and_then(|a| a.submitted_at),
        items,
        prefilled: 0,
        version,
    };
    Ok(Planned { plan, copy, existing })
}

/// What a prefill of the assessment would do, item by item; changes nothing.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn preview(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<PrefillPlan> {
    let visible = access::load(&k.db, ctx, id).await?;
    visible.answerer()?;
    Ok(plan(k, &k.db, ctx, &visible, visible.row().version).await?.plan)
}

/// Prefills the assessment from the library: every in-scope item the plan marks `prefill`
/// gets the library's answer (carried over: the supplier confirms it before submitting) and
/// its evidence files (references to the stored files, skipping any the item already has).
/// One change with one version bump; nothing is written when there is nothing to copy.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn prefill(k: &Kensa, ctx: &TenantCtx, id: Uuid, if_match: impl Into<IfMatch>) -> DomainResult<PrefillPlan> {
    let if_match = if_match.into();
    let visible = access::load(&k.db, ctx, id).await?;
    let answerer = visible.answerer()?;
    if_match.check(k.require_if_match, visible.row().version)?;
    visible.status()?.after_answer()?;
    let txn = k.begin_write().await?;
    let (_, version) = crate::assessments::repo::advance(&txn, ctx, &visible, if_match, Status::after_answer).await?;
    // Planned after the row lock: a colleague's save that committed first is kept.
    let Planned { mut plan, copy, existing } = plan(k, &txn, ctx, &visible, version).await?;
    let now = txn.now();
    let (mut rows, mut events, mut copied) = (Vec::new(), Vec::new(), Vec::new());
    let mut held: HashSet<(Option<i32>, String)> = crate::assessments::repo::evidence(&txn, &visible, None)
        .await?
        .data
        .into_iter()
        .map(|e| (e.item_no, e.sha256))
        .collect();
    for (entry, item_files) in &copy {
        let old = existing.get(&entry.item_no);
        let row = answer_row(ctx, now, (visible.id(), entry.item_no), library_input(entry)?, true, old);
        // Already carried over as the library has it: nothing to write for the answer.
        if !old.is_some_and(|o| o.carried_over && same_answer(o, &row)) {
            events.push(history::row(
                ctx,
                now,
                NewEvent {
                    assessment_id: visible.id(),
                    kind: HistoryKind::AnswerChanged,
                    item_no: Some(entry.item_no),
                    old_value: old.map(snapshot),
                    new_value: Some(snapshot(&row)),
                },
            ));
            rows.push(row);
        }
        for f in item_files {
            if !held.insert((Some(entry.item_no), f.sha256.clone())) {
                continue;
            }
            copied.push(evidence::Model {
                id: Uuid::now_v7(),
                assessment_id: visible.id(),
                item_no: Some(entry.item_no),
                file_name: f.file_name.clone(),
                content_type: f.content_type.clone(),
                size: f.size,
                sha256: f.sha256.clone(),
                storage_key: f.storage_key.clone(),
                uploaded_by: ctx.user_id().map(|u| u.0),
                created_at: now,
            });
        }
    }
    if rows.is_empty() && copied.is_empty() {
        // Nothing to write: the version bump is not committed (the version is the one the
        // row lock found).
        txn.rollback().await?;
        plan.version = version - 1;
        return Ok(plan);
    }
    crate::assessments::repo::upsert_answers(&txn, answerer, &rows).await?;
    for file in &copied {
        crate::assessments::repo::insert_evidence(&txn, answerer, file).await?;
        events.push(history::row(
            ctx,
            now,
            NewEvent {
                assessment_id: visible.id(),
                kind: HistoryKind::EvidenceAdded,
                item_no: file.item_no,
                old_value: None,
                new_value: Some(json!({ "evidence_id": file.id, "file_name": file.file_name, "sha256": file.sha256 })),
            },
        ));
    }
    history::record(&txn, events).await?;
    plan.prefilled = u32::try_from(rows.len()).map_err(DomainError::internal)?;
    crate::audit::record_action(
        &txn,
        ctx,
        "assessment.prefilled",
        Some(("assessment", id.to_string())),
        json!({ "items": plan.prefilled }),
    )
    .await?;
    txn.commit().await?;
    Ok(plan)
}

/// Puts a submitted assessment's answers into its supplier organization's library: each
/// answered item's answer replaces the library's, with the evidence files attached to it.
/// Runs inside the submission's transaction.
pub(crate) async fn record_submitted(
    tx: &crate::WriteTx,
    ctx: &TenantCtx,
    visible: &Visible,
    now: DateTime<Utc>,
) -> DomainResult<Unreferenced> {
    let row = visible.row();
    let Some(organization) = row.supplier_organization_id else { return Ok(Unreferenced(Vec::new())) };
    let template =
        templates::Entity::find_by_id(row.template_id).one(tx).await?.ok_or(DomainError::NotFound("template"))?;
    let line = Line::of(&template);
    let answered = crate::assessments::repo::answers(tx, visible).await?;
    // In item order: two submissions of the same line lock the library's rows in the same
    // order and cannot deadlock on PostgreSQL.
    let mut answered: Vec<answers::Model> = answered.into_values().collect();
    answered.sort_by_key(|a| a.item_no);
    let rows: Vec<library_answers::Model> = answered
        .iter()
        .map(|a| library_answers::Model {
            organization_id: organization,
            line_owner_key: line.owner_key.clone(),
            line_key: line.key.clone(),
            item_no: a.item_no,
            status: a.status.clone(),
            comment: a.comment.clone(),
            reason: a.reason.clone(),
            remediation_plan: a.remediation_plan.clone(),
            remediation_due: a.remediation_due,
            source_assessment_id: Some(row.id),
            updated_by: ctx.user_id().map(|u| u.0),
            updated_at: now,
        })
        .collect();
    let numbers: Vec<i32> = rows.iter().map(|r| r.item_no).collect();
    let files = crate::assessments::repo::evidence(tx, visible, None)
        .await?
        .data
        .into_iter()
        .filter_map(|e| {
            // Only an answered item's files: the others have no library entry to go with.
            let no = e.item_no.filter(|no| numbers.binary_search(no).is_ok())?;
            Some(library_evidence::Model {
                id: Uuid::now_v7(),
                organization_id: organization,
                line_owner_key: line.owner_key.clone(),
                line_key: line.key.clone(),
                item_no: no,
                file_name: e.file_name,
                content_type: e.content_type,
                size: e.size,
                sha256: e.sha256,
                storage_key: e.storage_key,
                created_at: now,
            })
        })
        .collect();
    repo::upsert_answers(tx, rows).await?;
    repo::replace_files(tx, organization, &line, numbers, files).await.map(Unreferenced)
}

/// Storage keys a library stopped naming: after the change commits, [`release`] removes
/// the stored files nothing else names.
#[must_use]
pub(crate) struct Unreferenced(pub(crate) Vec<String>);

/// Removes the stored files of `keys` that no assessment and no library names any more.
/// After the commit, so a rolled-back change keeps its files; a file that cannot be removed
/// is logged and left (it is unreachable, not lost).
pub(crate) async fn release(k: &Kensa, Unreferenced(keys): Unreferenced) {
    for key in keys {
        match crate::assessments::repo::storage_key_in_use(&k.db, &key).await {
            Ok(true) => {}
            Ok(false) => {
                if let Err(e) = k.evidence_store.delete(&key).await {
                    tracing::warn!(error = %e, "a stored file the library no longer names was not removed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not check whether a stored file is still named"),
        }
    }
}

/// Whether a library refers to the stored file (evidence removal keeps such files).
pub(crate) async fn refers_to(conn: &impl sea_orm::ConnectionTrait, storage_key: &str) -> DomainResult<bool> {
    repo::refers_to(conn, storage_key).await
}
