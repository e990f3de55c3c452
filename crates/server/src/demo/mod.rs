//! `kensa-api demo`: a fresh database filled with a buyer, twenty suppliers and a campaign of
//! the built-in check sheet whose assessments sit in every state, so that a newcomer sees the
//! product with data in it. Everything goes through the domain services and the real worker
//! (which mails the invitations and makes their tokens); only the overdue assessment's due
//! date is moved back directly, because the services refuse a past due date.

pub mod data;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use kensa_domain::assessments::invitations::{self, AcceptNew};
use kensa_domain::assessments::review::{self, Decision, ItemComment, ReviewInput};
use kensa_domain::assessments::{answers, evidence, service as assessments};
use kensa_domain::auth::{self, SignupInput};
use kensa_domain::campaigns::{CampaignInput, service as campaigns};
use kensa_domain::pagination::PageRequest;
use kensa_domain::suppliers::{SupplierInput, service as suppliers};
use kensa_domain::tenant::{RequestMeta, TenantCtx};
use kensa_domain::{DomainError, IfMatch, Kensa};
use kensa_worker::mail::{Mailer, OutgoingMail};
use kensa_worker::{Worker, WorkerError};
use tokio::sync::Mutex;
use uuid::Uuid;

use data::{DemoSupplier, Stage};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database already holds {0} organization(s); the demo wants a fresh one \
         (point KENSA_DATA_DIR or DATABASE_URL elsewhere, or pass --force to add it anyway)"
    )]
    NotEmpty(u64),
    #[error("{0}")]
    Domain(#[from] DomainError),
    #[error("{0}")]
    Worker(#[from] WorkerError),
    #[error("{0}")]
    Missing(String),
}

/// What the demo made, for the command to print and the tests to check.
#[derive(Debug)]
pub struct DemoReport {
    pub organization: String,
    pub owner_email: String,
    /// The password of the buyer's owner and of every supplier account.
    pub password: String,
    pub campaign_id: Uuid,
    pub suppliers: usize,
    /// Assessments per status.
    pub states: BTreeMap<String, usize>,
    pub overdue: usize,
}

/// Keeps a copy of each mail the worker sends (to read the invitation tokens) and delivers
/// it as configured, so the unaccepted invitations stay usable from the outbox.
struct Capture {
    deliver: Arc<dyn Mailer>,
    sent: Mutex<Vec<OutgoingMail>>,
}

#[async_trait]
impl Mailer for Capture {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError> {
        self.sent.lock().await.push(mail.clone());
        self.deliver.send(mail).await
    }
}

fn token_in(body: &str) -> Option<String> {
    let start = body.find("/invitations/")? + "/invitations/".len();
    let token: String =
        body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (!token.is_empty()).then_some(token)
}

async fn signed_in(k: &Kensa, access_token: &str) -> Result<TenantCtx, DomainError> {
    auth::authenticate(k, access_token, RequestMeta::default()).await
}

/// Fills the database; refuses (`NotEmpty`) if it holds organizations, unless `force`.
pub async fn run(k: &Kensa, mailer: Arc<dyn Mailer>, force: bool) -> Result<DemoReport, DemoError> {
    let existing = kensa_domain::demo::organization_count(k).await?;
    if existing > 0 && !force {
        return Err(DemoError::NotEmpty(existing));
    }
    // A second demo in one database needs addresses of its own.
    let tag = (existing > 0).then(|| Uuid::new_v4().simple().to_string()[..6].to_owned());
    let tag = tag.as_deref();
    let password = format!("Demo-{}", &Uuid::new_v4().simple().to_string()[..14]);
    let owner_email = data::email(data::BUYER_MAILBOX, tag);
    let organization = match tag {
        Some(tag) => format!("{} ({tag})", data::BUYER_ORGANIZATION),
        None => data::BUYER_ORGANIZATION.to_owned(),
    };
    let buyer = auth::signup(
        k,
        SignupInput {
            organization_name: organization.clone(),
            name: data::BUYER_OWNER.into(),
            email: owner_email.clone(),
            password: password.clone(),
            locale: Some("en".into()),
        },
        &RequestMeta::default(),
    )
    .await?;
    let ctx = signed_in(k, &buyer.access_token).await?;
    // The demo's addresses are made up: no one can follow the verification link.
    kensa_domain::demo::mark_verified(k, &ctx).await?;

    let mut supplier_ids = Vec::new();
    for s in &data::SUPPLIERS {
        let created = suppliers::create(
            k,
            ctx.editor()?,
            SupplierInput {
                name: Some(s.name.into()),
                contact_name: Some(s.contact.into()),
                contact_email: Some(data::email(s.mailbox, tag)),
                contact_locale: Some(s.locale.into()),
                tier: Some(s.tier.into()),
                target_level: Some(s.target_level),
                review_interval_months: None,
                tags: Some(s.tags.iter().map(|t| (*t).to_owned()).collect()),
            },
        )
        .await?;
        supplier_ids.push(created.id);
    }

    let templates = kensa_domain::templates::service::list(k, &ctx, &PageRequest { limit: 200, cursor: None }).await?;
    let template = templates
        .data
        .iter()
        .find(|t| t.builtin && t.key == "jama-japia")
        .ok_or_else(|| DemoError::Missing("the built-in jama-japia template is not loaded".into()))?;
    let today = k.today();
    let campaign = campaigns::create(
        k,
        ctx.editor()?,
        CampaignInput {
            name: data::CAMPAIGN.into(),
            template_id: template.id,
            due_date: today + chrono::Duration::days(60),
            supplier_ids: supplier_ids.clone(),
            target_level: None,
            schedule: None,
        },
    )
    .await?;

    let detail = campaigns::get(k, &ctx, campaign.id).await?;
    let by_supplier: BTreeMap<Uuid, Uuid> =
        detail.assessments.unwrap_or_default().iter().map(|a| (a.supplier_id, a.id)).collect();
    let cast: Vec<(&DemoSupplier, String, Uuid)> = data::SUPPLIERS
        .iter()
        .zip(&supplier_ids)
        .map(|(s, id)| {
            let assessment =
                by_supplier.get(id).copied().ok_or_else(|| DemoError::Missing(format!("no assessment for {}", s.name)));
            assessment.map(|a| (s, data::email(s.mailbox, tag), a))
        })
        .collect::<Result<_, _>>()?;
    let tokens = invitation_tokens(k, &ctx, mailer, &cast).await?;
    for (i, (s, email, assessment)) in cast.into_iter().enumerate() {
        let token = tokens.get(&email).map(String::as_str);
        play(k, &ctx, Player { index: i, supplier: s, email, token, assessment, password: &password }).await?;
    }

    let detail = campaigns::get(k, &ctx, campaign.id).await?;
    Ok(DemoReport {
        organization,
        owner_email,
        password,
        campaign_id: campaign.id,
        suppliers: supplier_ids.len(),
        states: detail.counts,
        overdue: detail.overdue,
    })
}

/// The invitation token of every supplier whose stage needs its acceptance. The real worker
/// sends the invitations and makes the tokens; a running server's worker may take some of
/// those jobs first (its mails go to the outbox, out of the demo's sight), so any missing
/// invitation is sent again until the demo has seen it.
async fn invitation_tokens(
    k: &Kensa,
    buyer: &TenantCtx,
    mailer: Arc<dyn Mailer>,
    cast: &[(&DemoSupplier, String, Uuid)],
) -> Result<BTreeMap<String, String>, DemoError> {
    let capture = Arc::new(Capture { deliver: mailer, sent: Mutex::default() });
    let worker = Worker::new(k.clone(), capture.clone());
    let needed = |s: &DemoSupplier| !matches!(s.stage, Stage::Sent | Stage::CancelledUnanswered);
    for attempt in 0..5 {
        worker.run_once(k.now()).await?;
        let tokens: BTreeMap<String, String> = capture
            .sent
            .lock()
            .await
            .iter()
            .filter_map(|m| Some((m.to.to_lowercase(), token_in(&m.text())?)))
            .collect();
        let missing: Vec<_> = cast.iter().filter(|(s, email, _)| needed(s) && !tokens.contains_key(email)).collect();
        if missing.is_empty() {
            return Ok(tokens);
        }
        if attempt == 4 {
            break;
        }
        for (_, _, assessment) in missing {
            invitations::resend(k, buyer, *assessment).await?;
        }
    }
    Err(DemoError::Missing("another worker kept taking the demo's invitation mails; try again".into()))
}

struct Player<'a> {
    index: usize,
    supplier: &'a DemoSupplier,
    email: String,
    /// Present for every stage that needs the invitation accepted.
    token: Option<&'a str>,
    assessment: Uuid,
    password: &'a str,
}

/// Takes one supplier's assessment to its stage, acting as supplier and buyer in turn.
async fn play(k: &Kensa, buyer: &TenantCtx, p: Player<'_>) -> Result<(), DemoError> {
    let id = p.assessment;
    match p.supplier.stage {
        Stage::Sent => return Ok(()),
        Stage::CancelledUnanswered => {
            assessments::cancel(k, buyer, id, IfMatch::Any).await?;
            return Ok(());
        }
        _ => {}
    }
    let token = p.token.ok_or_else(|| DemoError::Missing(format!("no invitation mailed to {}", p.email)))?;
    let accepted = invitations::accept(
        k,
        token,
        None,
        Some(AcceptNew {
            name: p.supplier.contact.into(),
            email: p.email.clone(),
            password: p.password.into(),
            organization_name: p.supplier.name.into(),
            locale: Some(p.supplier.locale.into()),
        }),
        &RequestMeta::default(),
    )
    .await?;
    // The demo accepts as the invited contact, so the link is immediate, never a claim.
    let invitations::Accepted::NewAccount(session) = accepted else {
        return Err(DemoError::Missing(format!("the invitation to {} became a claim", p.email)));
    };
    let supplier = signed_in(k, &session.access_token).await?;
    let questions = assessments::questions(k, &supplier, id).await?;
    let today = k.today();
    let all: Vec<(u32, _)> = questions.iter().map(|q| (q.no, data::answer(p.index, q.no, today))).collect();
    let partial = matches!(p.supplier.stage, Stage::InProgress | Stage::Overdue | Stage::CancelledInProgress);
    let chosen = if partial { all[..all.len() * 2 / 5].to_vec() } else { all };
    answers::save(k, &supplier, id, chosen, IfMatch::Any, false).await?;
    match p.supplier.stage {
        Stage::InProgress => {}
        Stage::Overdue => {
            kensa_domain::demo::backdate_due_date(k, buyer.editor()?, id, today - chrono::Duration::days(9)).await?;
        }
        Stage::CancelledInProgress => {
            assessments::cancel(k, buyer, id, IfMatch::Any).await?;
        }
        _ => {
            let file = kensa_domain::assessments::staging::Stager::from_bytes(
                &k.uploads.staging_dir,
                data::POLICY_PDF,
                evidence::MAX_FILE_BYTES,
            )
            .await
            .map_err(|e| match e {
                kensa_domain::assessments::staging::StageError::TooLarge(limit) => {
                    DemoError::Missing(format!("the demo PDF is over {limit} bytes"))
                }
                kensa_domain::assessments::staging::StageError::Failed(e) => DemoError::Domain(e),
            })?;
            let upload = evidence::Upload {
                file_name: "information-security-policy.pdf".into(),
                content_type: "application/pdf".into(),
                file,
                item_no: questions.first().map(|q| q.no),
            };
            evidence::upload(k, &supplier, id, upload, IfMatch::Any).await?;
            answers::submit(k, &supplier, id, IfMatch::Any).await?;
            if matches!(p.supplier.stage, Stage::ChangesRequested | Stage::Accepted) {
                let first = questions.first().map_or(1, |q| q.no);
                let request = ReviewInput {
                    decision: Decision::RequestChanges,
                    comment: Some("Thank you. Please add the approval date of the policy and who owns it.".into()),
                    items: vec![ItemComment { no: first, comment: "Which plants does this cover?".into() }],
                };
                review::review(k, buyer, id, request, IfMatch::Any).await?;
            }
            if p.supplier.stage == Stage::Accepted {
                let fix = vec![(questions.first().map_or(1, |q| q.no), data::answer(0, 0, today))];
                answers::save(k, &supplier, id, fix, IfMatch::Any, false).await?;
                answers::submit(k, &supplier, id, IfMatch::Any).await?;
                let accept = ReviewInput {
                    decision: Decision::Accept,
                    comment: Some("Accepted. Thank you for the quick update.".into()),
                    items: Vec::new(),
                };
                review::review(k, buyer, id, accept, IfMatch::Any).await?;
            }
        }
    }
    Ok(())
}

/// The lines `kensa-api demo` prints.
pub fn summary(report: &DemoReport, public_url: &str) -> String {
    let states: Vec<String> = report.states.iter().map(|(s, n)| format!("{s} {n}")).collect();
    format!(
        "demo data created: {org}, {suppliers} suppliers, campaign {campaign}\n\
         assessments: {states} ({overdue} overdue)\n\
         sign in as the buyer's owner:  email {email}  password {password}\n\
         every supplier account (the contacts' addresses) uses the same password;\n\
         the unaccepted invitations are in the outbox. Start the server, open {public_url}/ and sign in\n\
         (the API reference is at {public_url}/docs/)",
        org = report.organization,
        suppliers = report.suppliers,
        campaign = report.campaign_id,
        states = states.join(", "),
        overdue = report.overdue,
        email = report.owner_email,
        password = report.password,
    )
}
