//! An organization's settings: its chasing schedule, its MFA policy and session limits
//! (owners and admins change them). Changing the schedule re-plans every open assessment and
//! pending re-review of the organization in the same transaction, so the next scan already
//! follows the new schedule.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::plan;
use super::schedule::{Schedule, ScheduleOverride};
use crate::Kensa;
use crate::auth::policy::{PolicyChange, SecurityPolicy};
use crate::entities::{campaigns, organization_settings};
use crate::error::{DomainError, DomainResult};
use crate::precondition::IfMatch;
use crate::tenant::{AdminCtx, TenantCtx};

/// The settings as owners and admins see and change them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct OrganizationSettings {
    /// Days before the due date on which reminders go out, largest first.
    pub reminder_offsets: Vec<u16>,
    /// Days between reminders once an assessment is overdue.
    pub overdue_interval_days: u16,
    /// Days overdue after which the owners and admins get it in their daily digest.
    pub escalation_after_days: u16,
    /// Days before a supplier's next review date on which the worker opens the review.
    pub review_lead_days: u16,
    /// Every user must sign in with a second factor (enrolment is forced at the next sign-in).
    pub mfa_required: bool,
    /// Owners and admins must sign in with a second factor.
    pub mfa_required_for_admins: bool,
    /// A sign-in ends after this many minutes without use (30–10080; default 480).
    pub session_idle_minutes: u32,
    /// A sign-in ends this many days after the password was given in any case (1–30; default 30).
    pub session_lifetime_days: u16,
    /// Years evidence files stay after their assessment was accepted; then the worker deletes
    /// them (answers and scores stay). 0: for good (the default).
    pub evidence_retention_years: u16,
    /// Moves on with every change: the `ETag`, for `If-Match`.
    pub version: i32,
    /// None while the defaults were never changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl OrganizationSettings {
    pub fn schedule(&self) -> Schedule {
        Schedule {
            reminder_offsets: self.reminder_offsets.clone(),
            overdue_interval_days: self.overdue_interval_days,
            escalation_after_days: self.escalation_after_days,
            review_lead_days: self.review_lead_days,
        }
    }

    pub fn security(&self) -> SecurityPolicy {
        SecurityPolicy {
            mfa_required: self.mfa_required,
            mfa_required_for_admins: self.mfa_required_for_admins,
            session_idle_minutes: self.session_idle_minutes,
            session_lifetime_days: self.session_lifetime_days,
        }
    }

    fn from_parts(
        s: Schedule,
        p: SecurityPolicy,
        evidence_retention_years: u16,
        version: i32,
        updated_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            reminder_offsets: s.reminder_offsets,
            overdue_interval_days: s.overdue_interval_days,
            escalation_after_days: s.escalation_after_days,
            review_lead_days: s.review_lead_days,
            mfa_required: p.mfa_required,
            mfa_required_for_admins: p.mfa_required_for_admins,
            session_idle_minutes: p.session_idle_minutes,
            session_lifetime_days: p.session_lifetime_days,
            evidence_retention_years,
            version,
            updated_at,
        }
    }
}

/// Any subset of the settings: the body of a PATCH.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject), graphql(name = "OrganizationSettingsInput"))]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    /// Days before the due date (0–365, at most 10 values; duplicates are merged).
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub reminder_offsets: Option<Vec<u16>>,
    /// 1–365.
    pub overdue_interval_days: Option<u16>,
    /// 1–365.
    pub escalation_after_days: Option<u16>,
    /// 1–365.
    pub review_lead_days: Option<u16>,
    pub mfa_required: Option<bool>,
    pub mfa_required_for_admins: Option<bool>,
    /// 30–10080 minutes (a week), at most the lifetime.
    pub session_idle_minutes: Option<u32>,
    /// 1–30 days.
    pub session_lifetime_days: Option<u16>,
    /// 0–30 years; 0 keeps evidence for good.
    pub evidence_retention_years: Option<u16>,
}

/// Evidence is kept at most this many years after acceptance, when a limit is set.
pub const MAX_RETENTION_YEARS: u16 = 30;

impl SettingsChange {
    fn split(self) -> (ScheduleOverride, PolicyChange, Option<u16>) {
        (
            ScheduleOverride {
                reminder_offsets: self.reminder_offsets,
                overdue_interval_days: self.overdue_interval_days,
                escalation_after_days: self.escalation_after_days,
                review_lead_days: self.review_lead_days,
            },
            PolicyChange {
                mfa_required: self.mfa_required,
                mfa_required_for_admins: self.mfa_required_for_admins,
                session_idle_minutes: self.session_idle_minutes,
                session_lifetime_days: self.session_lifetime_days,
            },
            self.evidence_retention_years,
        )
    }
}

impl From<ScheduleOverride> for SettingsChange {
    fn from(s: ScheduleOverride) -> Self {
        Self {
            reminder_offsets: s.reminder_offsets,
            overdue_interval_days: s.overdue_interval_days,
            escalation_after_days: s.escalation_after_days,
            review_lead_days: s.review_lead_days,
            ..Self::default()
        }
    }
}

impl From<PolicyChange> for SettingsChange {
    fn from(p: PolicyChange) -> Self {
        Self {
            mfa_required: p.mfa_required,
            mfa_required_for_admins: p.mfa_required_for_admins,
            session_idle_minutes: p.session_idle_minutes,
            session_lifetime_days: p.session_lifetime_days,
            ..Self::default()
        }
    }
}

fn days(raw: i32) -> u16 {
    u16::try_from(raw.clamp(0, i32::from(super::schedule::MAX_DAYS))).unwrap_or_default()
}

fn view(row: Option<organization_settings::Model>) -> DomainResult<OrganizationSettings> {
    let Some(row) = row else {
        return Ok(OrganizationSettings::from_parts(Schedule::default(), SecurityPolicy::default(), 0, 1, None));
    };
    let policy = SecurityPolicy::from_row(&row);
    let offsets: Vec<u16> = serde_json::from_value(row.reminder_offsets).map_err(DomainError::internal)?;
    let schedule = Schedule {
        reminder_offsets: offsets,
        overdue_interval_days: days(row.overdue_interval_days),
        escalation_after_days: days(row.escalation_after_days),
        review_lead_days: days(row.review_lead_days),
    };
    let retention = u16::try_from(row.evidence_retention_years.clamp(0, i32::from(MAX_RETENTION_YEARS))).unwrap_or(0);
    Ok(OrganizationSettings::from_parts(schedule, policy, retention, row.version, Some(row.updated_at)))
}

/// The organization's settings (defaults when never changed).
pub(crate) async fn load(conn: &impl ConnectionTrait, organization_id: Uuid) -> DomainResult<OrganizationSettings> {
    view(organization_settings::Entity::find_by_id(organization_id).one(conn).await?)
}

/// A campaign's stored overrides (none when it has none or is not a campaign's).
pub(crate) fn overrides_of(campaign: Option<&campaigns::Model>) -> DomainResult<ScheduleOverride> {
    match campaign.and_then(|c| c.schedule.clone()) {
        Some(json) => serde_json::from_value(json).map_err(DomainError::internal),
        None => Ok(ScheduleOverride::default()),
    }
}

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn get(k: &Kensa, ctx: &TenantCtx) -> DomainResult<OrganizationSettings> {
    ctx.admin()?;
    load(&k.db, ctx.org_id().0).await
}

#[instrument(skip_all, fields(org = %admin.tenant().org_id()))]
pub async fn update(
    k: &Kensa,
    admin: AdminCtx<'_>,
    change: SettingsChange,
    if_match: impl Into<IfMatch>,
) -> DomainResult<OrganizationSettings> {
    let if_match = if_match.into();
    let ctx = admin.tenant();
    let (change, policy_change, retention) = change.split();
    let mut errors = policy_change.violations();
    if retention.is_some_and(|years| years > MAX_RETENTION_YEARS) {
        errors.push(crate::error::FieldError::new(
            "evidence_retention_years",
            crate::error::ErrorCode::OutOfRange,
            format!("0 (for good) to {MAX_RETENTION_YEARS} years"),
        ));
    }
    let change = match change.validated("") {
        Ok(change) => change,
        Err(DomainError::Validation(more)) => {
            errors.extend(more);
            return Err(DomainError::Validation(errors));
        }
        Err(e) => return Err(e),
    };
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    // People set the account-security policy: a leaked integration key must not weaken it.
    // Nor shorten how long evidence is kept (the worker deletes what falls out of it).
    if (!policy_change.is_empty() || retention.is_some()) && (ctx.api_key().is_some() || ctx.user_id().is_none()) {
        return Err(DomainError::Forbidden);
    }
    let org = ctx.org_id().0;
    let txn = k.begin_write().await?;
    let now = txn.now();
    let current = view(organization_settings::Entity::find_by_id(org).lock_exclusive().one(&txn).await?)?;
    if_match.check(k.require_if_match, current.version)?;
    if_match.still(current.version)?;
    let schedule = change.apply(&current.schedule());
    let policy = policy_change.apply(&current.security())?;
    let row = organization_settings::Model {
        organization_id: org,
        reminder_offsets: json!(schedule.reminder_offsets),
        overdue_interval_days: i32::from(schedule.overdue_interval_days),
        escalation_after_days: i32::from(schedule.escalation_after_days),
        review_lead_days: i32::from(schedule.review_lead_days),
        mfa_required: policy.mfa_required,
        mfa_required_for_admins: policy.mfa_required_for_admins,
        session_idle_minutes: i32::try_from(policy.session_idle_minutes).unwrap_or(i32::MAX),
        session_lifetime_days: i32::from(policy.session_lifetime_days),
        evidence_retention_years: i32::from(retention.unwrap_or(current.evidence_retention_years)),
        version: current.version + 1,
        updated_at: now,
    };
    let on_conflict = OnConflict::column(organization_settings::Column::OrganizationId)
        .update_columns([
            organization_settings::Column::ReminderOffsets,
            organization_settings::Column::OverdueIntervalDays,
            organization_settings::Column::EscalationAfterDays,
            organization_settings::Column::ReviewLeadDays,
            organization_settings::Column::MfaRequired,
            organization_settings::Column::MfaRequiredForAdmins,
            organization_settings::Column::SessionIdleMinutes,
            organization_settings::Column::SessionLifetimeDays,
            organization_settings::Column::EvidenceRetentionYears,
            organization_settings::Column::Version,
            organization_settings::Column::UpdatedAt,
        ])
        .to_owned();
    organization_settings::Entity::insert(organization_settings::ActiveModel::from(row))
        .on_conflict(on_conflict)
        .exec_without_returning(&txn)
        .await?;
    plan::replan_organization(&txn, org, &schedule).await?;
    if change != ScheduleOverride::default() || retention.is_some() || policy_change.is_empty() {
        let mut details = json!(change);
        if let (Some(years), Some(map)) = (retention, details.as_object_mut()) {
            map.insert("evidence_retention_years".into(), json!(years));
        }
        crate::audit::record_action(&txn, ctx, "organization.settings_updated", None, details).await?;
    }
    if !policy_change.is_empty() {
        // Its own event: auditors look for changes of the security policy by name.
        let details = json!({ "change": policy_change, "before": current.security(), "after": policy });
        crate::audit::record_action(&txn, ctx, "organization.security_policy_updated", None, details).await?;
    }
    txn.commit().await?;
    let retention = retention.unwrap_or(current.evidence_retention_years);
    Ok(OrganizationSettings::from_parts(schedule, policy, retention, current.version + 1, Some(now)))
}
