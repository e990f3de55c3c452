//! The stable error codes: every `code` a client can see, in problem+json bodies
//! (`code` and `errors[].code`) and in GraphQL `extensions.code`, is one of these. They are
//! part of the API contract: add codes, never rename or reuse one.

use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident = $code:literal,)*) => {
        /// A stable error code: the `code` of a problem+json answer, of each entry of its
        /// `errors`, and GraphQL's `extensions.code`. Codes are added, never renamed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    AddressNotAllowed = "address_not_allowed",
    AssessmentIncomplete = "assessment_incomplete",
    AssessmentLocked = "assessment_locked",
    BadRequest = "bad_request",
    BatchTooLarge = "batch_too_large",
    CannotLinkBuyer = "cannot_link_buyer",
    CarriedOver = "carried_over",
    ClaimDecided = "claim_decided",
    ClaimPending = "claim_pending",
    ConcurrentUpdate = "concurrent_update",
    ContentMismatch = "content_mismatch",
    CrosswalkUnavailable = "crosswalk_unavailable",
    CsrfFailed = "csrf_failed",
    DownloadsBusy = "downloads_busy",
    Duplicate = "duplicate",
    EmailTaken = "email_taken",
    EmailUnverified = "email_unverified",
    Empty = "empty",
    ErasureScheduled = "erasure_scheduled",
    ErasureStarted = "erasure_started",
    EvidenceQuotaExceeded = "evidence_quota_exceeded",
    ExportNotReady = "export_not_ready",
    ExportRunning = "export_running",
    Forbidden = "forbidden",
    FormulaNotAllowed = "formula_not_allowed",
    IdempotencyKeyInUse = "idempotency_key_in_use",
    IdempotencyKeyReused = "idempotency_key_reused",
    ImportRejected = "import_rejected",
    InternalError = "internal_error",
    InvalidCharacters = "invalid_characters",
    InvalidCredentials = "invalid_credentials",
    InvalidCsv = "invalid_csv",
    InvalidCursor = "invalid_cursor",
    InvalidEmail = "invalid_email",
    InvalidEncoding = "invalid_encoding",
    InvalidHeader = "invalid_header",
    InvalidKey = "invalid_key",
    InvalidLocale = "invalid_locale",
    InvalidMfaCode = "invalid_mfa_code",
    InvalidMfaTicket = "invalid_mfa_ticket",
    InvalidQuery = "invalid_query",
    InvalidRefreshToken = "invalid_refresh_token",
    InvalidRole = "invalid_role",
    InvalidScale = "invalid_scale",
    InvalidTags = "invalid_tags",
    InvalidToken = "invalid_token",
    InvalidUrl = "invalid_url",
    InvalidTransition = "invalid_transition",
    InvalidValue = "invalid_value",
    InvitationExpired = "invitation_expired",
    InvitationRevoked = "invitation_revoked",
    InvitationUsed = "invitation_used",
    ItemNotInScope = "item_not_in_scope",
    LastOwner = "last_owner",
    LinkExpired = "link_expired",
    LinkInvalid = "link_invalid",
    LinkNotAllowed = "link_not_allowed",
    LinkUsed = "link_used",
    MalformedJson = "malformed_json",
    MethodNotAllowed = "method_not_allowed",
    MfaAlreadyEnabled = "mfa_already_enabled",
    MfaNotEnabled = "mfa_not_enabled",
    MfaRequiredByPolicy = "mfa_required_by_policy",
    NotAllowed = "not_allowed",
    NotFound = "not_found",
    NotInFuture = "not_in_future",
    Openapi = "openapi",
    OutOfRange = "out_of_range",
    Overloaded = "overloaded",
    PasswordCommon = "password_common",
    PasswordSequential = "password_sequential",
    PasswordSingleCharacterClass = "password_single_character_class",
    PasswordTooLong = "password_too_long",
    PasswordTooShort = "password_too_short",
    PasswordTooWeak = "password_too_weak",
    PayloadTooLarge = "payload_too_large",
    PreconditionFailed = "precondition_failed",
    PreconditionRequired = "precondition_required",
    QueryTimeout = "query_timeout",
    QueryTooComplex = "query_too_complex",
    QueryTooDeep = "query_too_deep",
    QueryTooLarge = "query_too_large",
    ReauthenticationFailed = "reauthentication_failed",
    RefreshTokenReused = "refresh_token_reused",
    RejectedRow = "rejected_row",
    RemediationClosed = "remediation_closed",
    RequestClosed = "request_closed",
    Required = "required",
    ReviewAlreadyOpen = "review_already_open",
    RouteNotFound = "route_not_found",
    ServiceUnavailable = "service_unavailable",
    SessionExpired = "session_expired",
    SessionRevoked = "session_revoked",
    StatusNotAllowed = "status_not_allowed",
    StorageQuotaExceeded = "storage_quota_exceeded",
    SupplierAlreadyLinked = "supplier_already_linked",
    SupplierDeleted = "supplier_deleted",
    SupplierEmailTaken = "supplier_email_taken",
    TemplateImmutable = "template_immutable",
    TermsNotAccepted = "terms_not_accepted",
    TemplateInUse = "template_in_use",
    TemplateKeyTaken = "template_key_taken",
    TokenExpired = "token_expired",
    TooLong = "too_long",
    TooMany = "too_many",
    TooManyAliases = "too_many_aliases",
    TooManyFiles = "too_many_files",
    TooManyJsonValues = "too_many_json_values",
    TooManyMutations = "too_many_mutations",
    TooManyParts = "too_many_parts",
    TooManyRequests = "too_many_requests",
    TooManyRootFields = "too_many_root_fields",
    TooManyRows = "too_many_rows",
    TooManyVariables = "too_many_variables",
    Unanswered = "unanswered",
    Unauthenticated = "unauthenticated",
    UnknownField = "unknown_field",
    UnsupportedMediaType = "unsupported_media_type",
    UnsupportedType = "unsupported_type",
    UploadsBusy = "uploads_busy",
    ValidationFailed = "validation_failed",
    WorkbookMismatch = "workbook_mismatch",
    WorkbookOutdated = "workbook_outdated",
    WorkbookUnreadable = "workbook_unreadable",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "graphql")]
impl From<ErrorCode> for async_graphql::Value {
    fn from(code: ErrorCode) -> Self {
        async_graphql::Value::from(code.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serialises_as_its_snake_case_name_and_is_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::json!(code.as_str())), "{code:?}");
            assert!(seen.insert(code.as_str()), "{code:?} twice");
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code:?}");
        }
    }
}
