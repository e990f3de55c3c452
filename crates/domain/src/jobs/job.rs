//! What a job is: one variant per kind, with typed fields. A row stores the variant's name
//! in `kind`, its fields as the JSON `payload`, and its [`Job::dedupe_key`] under a unique
//! index, so that the same (subject, kind, step) is queued at most once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{DomainError, DomainResult};
use crate::notifications::events::Event;
use crate::users::model::Locale;
use crate::webhooks::DeliveryEvent;

/// Serialised adjacently tagged (`{"kind": …, "payload": {…}}`): the tag is the `kind`
/// column and the payload the `payload` column, each variant's fields exactly as the
/// untyped payloads of earlier versions wrote them, so rows queued before keep working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    /// Mail a user invitation.
    UserInvitationMail { invitation_id: Uuid },
    /// Mail a supplier its assessment invitation. A resend or a new contact makes a new
    /// invitation, hence a new job.
    AssessmentInvitationMail { invitation_id: Uuid },
    /// Tell an already linked supplier about a new assessment, or again when the buyer
    /// resends it.
    AssessmentNoticeMail {
        assessment_id: Uuid,
        /// When the buyer resent it; `None` for the notice of the new assessment. Each resend
        /// is a step of its own and is mailed, as each click on "resend" always was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resent_at: Option<DateTime<Utc>>,
    },
    /// Tell a user their account saw repeated failed sign-ins.
    LoginFailureNoticeMail {
        user_id: Uuid,
        failures: u64,
        /// The client address of the failure that triggered the mail.
        address: String,
        at: DateTime<Utc>,
    },
    /// Tell a user their account was signed in to from an address it never used before.
    NewSignInNoticeMail {
        user_id: Uuid,
        address: String,
        /// The client's `User-Agent`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_agent: Option<String>,
        at: DateTime<Utc>,
    },
    /// Mail a user a link that verifies their address (the link is made when it is sent;
    /// nothing is sent once the address is verified).
    EmailVerificationMail { user_id: Uuid, requested_at: DateTime<Utc> },
    /// Mail a user a password-reset link (made when it is sent, ending the older ones).
    PasswordResetMail { user_id: Uuid, requested_at: DateTime<Utc> },
    /// Tell a user their password was changed with a reset link, and from where.
    PasswordChangedMail {
        user_id: Uuid,
        /// The client address the reset came from.
        address: String,
        at: DateTime<Utc>,
    },
    /// Tell one of the buyer's owners or admins that an invitation was claimed by someone
    /// other than the invited contact.
    SupplierClaimMail { claim_id: Uuid, user_id: Uuid },
    /// Tell one of the supplier's owners or admins that a buyer asks it to share its answers.
    ShareRequestMail { request_id: Uuid, user_id: Uuid },
    /// Tell one of the recipient's owners, admins or reviewers that a supplier shared its
    /// answers with their organization.
    ShareReceivedMail { share_id: Uuid, user_id: Uuid },
    /// Mail one of an organization's owners the day's audit checkpoint (its chain's head).
    AuditCheckpointMail { checkpoint_id: Uuid, user_id: Uuid },
    /// Write an organization's archive (`portability::exports`).
    OrganizationExport { export_id: Uuid },
    /// Erase an organization whose grace period ended (`portability::erasure`).
    OrganizationErasure { erasure_id: Uuid },
    /// Tell one of the organization's users that its erasure was scheduled, or cancelled.
    OrganizationErasureMail { erasure_id: Uuid, user_id: Uuid, cancelled: bool },
    /// Something happened that people and webhook endpoints must hear about: the worker fans
    /// it out into one delivery per recipient and endpoint.
    Event { event: Event },
    /// One recipient's mail about an event.
    EventMail { event: Event, to: String, locale: Locale },
    /// One signed POST of an event (or a ping) to one webhook endpoint. The body is fixed
    /// when queued, so that every attempt sends the same bytes with the same event id.
    WebhookDelivery {
        endpoint_id: Uuid,
        event_type: DeliveryEvent,
        /// The event's key ([`Event::key`], or a ping's): one delivery per endpoint and key.
        event_key: String,
        /// The JSON text POSTed.
        body: String,
    },
}

impl Job {
    /// Every kind, as stored in `jobs.kind` (a test checks them against serde's tags).
    pub const KINDS: [&'static str; 18] = [
        "user_invitation_mail",
        "assessment_invitation_mail",
        "assessment_notice_mail",
        "login_failure_notice_mail",
        "supplier_claim_mail",
        "event",
        "event_mail",
        "webhook_delivery",
        "new_sign_in_notice_mail",
        "email_verification_mail",
        "password_reset_mail",
        "password_changed_mail",
        "share_request_mail",
        "share_received_mail",
        "audit_checkpoint_mail",
        "organization_export",
        "organization_erasure",
        "organization_erasure_mail",
    ];

    /// The `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Job::UserInvitationMail { .. } => Self::KINDS[0],
            Job::AssessmentInvitationMail { .. } => Self::KINDS[1],
            Job::AssessmentNoticeMail { .. } => Self::KINDS[2],
            Job::LoginFailureNoticeMail { .. } => Self::KINDS[3],
            Job::SupplierClaimMail { .. } => Self::KINDS[4],
            Job::Event { .. } => Self::KINDS[5],
            Job::EventMail { .. } => Self::KINDS[6],
            Job::WebhookDelivery { .. } => Self::KINDS[7],
            Job::NewSignInNoticeMail { .. } => Self::KINDS[8],
            Job::EmailVerificationMail { .. } => Self::KINDS[9],
            Job::PasswordResetMail { .. } => Self::KINDS[10],
            Job::PasswordChangedMail { .. } => Self::KINDS[11],
            Job::ShareRequestMail { .. } => Self::KINDS[12],
            Job::ShareReceivedMail { .. } => Self::KINDS[13],
            Job::AuditCheckpointMail { .. } => Self::KINDS[14],
            Job::OrganizationExport { .. } => Self::KINDS[15],
            Job::OrganizationErasure { .. } => Self::KINDS[16],
            Job::OrganizationErasureMail { .. } => Self::KINDS[17],
        }
    }

    /// What the job is about: kind, subject and, where one subject legitimately gets the
    /// same kind of job again, the step. Queuing a job whose key exists is a no-op.
    pub fn dedupe_key(&self) -> String {
        let kind = self.kind();
        match self {
            Job::UserInvitationMail { invitation_id } | Job::AssessmentInvitationMail { invitation_id } => {
                format!("{kind}:{invitation_id}")
            }
            Job::AssessmentNoticeMail { assessment_id, resent_at: None } => format!("{kind}:{assessment_id}"),
            Job::AssessmentNoticeMail { assessment_id, resent_at: Some(at) } => {
                format!("{kind}:{assessment_id}:resent:{}", at.timestamp_micros())
            }
            // One notice per burst: the sign-in code lets one through per NOTICE_INTERVAL
            // (counted from the first), so two legitimate notices are at least an interval
            // apart and always fall in different windows; replicas whose in-process
            // throttles do not share counters still send one per window.
            Job::LoginFailureNoticeMail { user_id, at, .. } => {
                let interval = i64::try_from(crate::auth::throttle::NOTICE_INTERVAL.as_secs()).unwrap_or(3600);
                format!("{kind}:{user_id}:{}", at.timestamp().div_euclid(interval))
            }
            // One per address and day: two sign-ins racing from one new address mail once.
            Job::NewSignInNoticeMail { user_id, address, at, .. } => {
                format!("{kind}:{user_id}:{address}:{}", at.date_naive())
            }
            Job::SupplierClaimMail { claim_id: id, user_id }
            | Job::AuditCheckpointMail { checkpoint_id: id, user_id } => {
                format!("{kind}:{id}:{user_id}")
            }
            Job::ShareRequestMail { request_id: id, user_id } | Job::ShareReceivedMail { share_id: id, user_id } => {
                format!("{kind}:{id}:{user_id}")
            }
            Job::Event { event } => format!("{kind}:{}", event.key()),
            Job::OrganizationExport { export_id } => format!("{kind}:{export_id}"),
            Job::OrganizationErasure { erasure_id } => format!("{kind}:{erasure_id}"),
            Job::OrganizationErasureMail { erasure_id, user_id, cancelled } => {
                format!("{kind}:{erasure_id}:{user_id}:{}", if *cancelled { "cancelled" } else { "scheduled" })
            }
            Job::EventMail { event, to, .. } => format!("{kind}:{}:{}", event.key(), to.to_lowercase()),
            Job::WebhookDelivery { endpoint_id, event_key, .. } => format!("{kind}:{endpoint_id}:{event_key}"),
            // Each request is its own step (the callers throttle them).
            Job::EmailVerificationMail { user_id, requested_at: at }
            | Job::PasswordResetMail { user_id, requested_at: at }
            | Job::PasswordChangedMail { user_id, at, .. } => format!("{kind}:{user_id}:{}", at.timestamp_micros()),
        }
    }

    /// The `payload` column.
    pub(super) fn payload(&self) -> DomainResult<serde_json::Value> {
        match serde_json::to_value(self).map_err(DomainError::internal)? {
            serde_json::Value::Object(mut tagged) => tagged
                .remove("payload")
                .ok_or_else(|| DomainError::Internal(format!("{} job serialised without a payload", self.kind()))),
            other => Err(DomainError::Internal(format!("a job serialised as {other}"))),
        }
    }

    /// Reads a stored row back. An unknown kind (a row from a newer version, or a corrupt
    /// one) or a payload that does not fit its kind is an error naming both, never another
    /// kind: the worker fails that job loudly and retries it (a newer worker may know it).
    pub fn from_stored(kind: &str, payload: serde_json::Value) -> Result<Job, String> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
            .map_err(|e| format!("cannot read a {kind:?} job: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_of_each() -> Vec<Job> {
        let id = Uuid::now_v7();
        let at = chrono::Utc::now();
        vec![
            Job::UserInvitationMail { invitation_id: id },
            Job::AssessmentInvitationMail { invitation_id: id },
            Job::AssessmentNoticeMail { assessment_id: id, resent_at: None },
            Job::LoginFailureNoticeMail { user_id: id, failures: 5, address: "203.0.113.9".into(), at },
            Job::SupplierClaimMail { claim_id: id, user_id: Uuid::now_v7() },
            Job::Event { event: Event::Sent { assessment_id: id } },
            Job::EventMail { event: Event::Sent { assessment_id: id }, to: "a@example.com".into(), locale: Locale::Ja },
            Job::WebhookDelivery {
                endpoint_id: id,
                event_type: DeliveryEvent::AssessmentSent,
                event_key: format!("sent:{id}"),
                body: "{}".into(),
            },
            Job::NewSignInNoticeMail { user_id: id, address: "203.0.113.9".into(), user_agent: None, at },
            Job::EmailVerificationMail { user_id: id, requested_at: at },
            Job::PasswordResetMail { user_id: id, requested_at: at },
            Job::PasswordChangedMail { user_id: id, address: "203.0.113.9".into(), at },
            Job::ShareRequestMail { request_id: id, user_id: Uuid::now_v7() },
            Job::ShareReceivedMail { share_id: id, user_id: Uuid::now_v7() },
            Job::AuditCheckpointMail { checkpoint_id: id, user_id: Uuid::now_v7() },
            Job::OrganizationExport { export_id: id },
            Job::OrganizationErasure { erasure_id: id },
            Job::OrganizationErasureMail { erasure_id: id, user_id: Uuid::now_v7(), cancelled: true },
        ]
    }

    #[test]
    fn every_job_reads_back_as_itself_under_its_own_kind() -> Result<(), Box<dyn std::error::Error>> {
        let jobs = one_of_each();
        assert_eq!(jobs.iter().map(Job::kind).collect::<Vec<_>>(), Job::KINDS);
        for job in jobs {
            let tagged = serde_json::to_value(&job)?;
            assert_eq!(tagged["kind"], job.kind(), "kind() must be serde's tag");
            assert_eq!(Job::from_stored(job.kind(), job.payload()?)?, job);
        }
        Ok(())
    }

    #[test]
    fn payloads_written_by_earlier_versions_still_read() -> Result<(), String> {
        let id = Uuid::now_v7();
        let notice = Job::from_stored("assessment_notice_mail", serde_json::json!({ "assessment_id": id }))?;
        assert_eq!(notice, Job::AssessmentNoticeMail { assessment_id: id, resent_at: None });
        let invitation = Job::from_stored("user_invitation_mail", serde_json::json!({ "invitation_id": id }))?;
        assert_eq!(invitation, Job::UserInvitationMail { invitation_id: id });
        Ok(())
    }

    #[test]
    fn an_unknown_kind_or_an_unfit_payload_is_an_error_naming_the_kind() {
        let unknown = Job::from_stored("telegram_message", serde_json::json!({ "invitation_id": Uuid::now_v7() }));
        assert!(matches!(&unknown, Err(m) if m.contains("telegram_message")), "{unknown:?}");
        // A payload of another kind is not read as that kind.
        let unfit = Job::from_stored("supplier_claim_mail", serde_json::json!({ "invitation_id": Uuid::now_v7() }));
        assert!(matches!(&unfit, Err(m) if m.contains("supplier_claim_mail")), "{unfit:?}");
    }

    #[test]
    fn each_subject_and_step_has_its_own_key() {
        let id = Uuid::now_v7();
        let keys: std::collections::BTreeSet<String> = one_of_each().iter().map(Job::dedupe_key).collect();
        assert_eq!(keys.len(), Job::KINDS.len(), "no two kinds share a key");
        assert_eq!(Job::UserInvitationMail { invitation_id: id }.dedupe_key(), format!("user_invitation_mail:{id}"));
        let at = chrono::Utc::now();
        let first = Job::AssessmentNoticeMail { assessment_id: id, resent_at: None };
        let resent = Job::AssessmentNoticeMail { assessment_id: id, resent_at: Some(at) };
        assert_ne!(first.dedupe_key(), resent.dedupe_key(), "a resend is mailed again");
    }

    #[test]
    fn login_failure_notices_share_a_key_within_one_window_only() {
        let user_id = Uuid::now_v7();
        let notice = |at: DateTime<Utc>| Job::LoginFailureNoticeMail { user_id, failures: 5, address: "x".into(), at };
        let interval = chrono::Duration::from_std(crate::auth::throttle::NOTICE_INTERVAL).unwrap_or_default();
        let secs = interval.num_seconds();
        let now = chrono::Utc::now();
        let window_start =
            DateTime::from_timestamp(now.timestamp() - now.timestamp().rem_euclid(secs), 0).unwrap_or(now);
        let late_in_window = window_start + interval - chrono::Duration::seconds(1);
        assert_eq!(notice(window_start).dedupe_key(), notice(late_in_window).dedupe_key());
        // The sign-in code lets the next notice through an interval after the last at the earliest.
        assert_ne!(notice(late_in_window).dedupe_key(), notice(late_in_window + interval).dedupe_key());
        assert_ne!(notice(window_start).dedupe_key(), notice(window_start + interval).dedupe_key());
    }
}
