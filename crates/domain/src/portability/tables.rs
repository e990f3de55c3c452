//! Every table, and how its rows belong to an organization: what an export carries and what
//! an erasure removes. A test holds this list to the migrated schema, so a new table cannot
//! be forgotten by either.

use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use uuid::Uuid;

/// How a table's rows belong to an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Rows whose column is the organization's id.
    Own(&'static str),
    /// Rows where any of the columns is the organization's id: it took part (a buyer's and a
    /// supplier's assessment, a share's owner and recipient).
    Any(&'static [&'static str]),
    /// Rows of assessments the organization took part in (`assessment_id`).
    OfAssessments,
    /// Rows of shares it gave or received (`share_id`).
    OfShares,
    /// Rows of its users (`user_id`).
    OfUsers,
    /// The audit chain heads (`chain` is the organization's id as text).
    Chain,
    /// The organization's own check sheets, and the ones of others its assessments use (a
    /// buyer's sheet a supplier answered). Built-in sheets are Kensa's, not the
    /// organization's: the manifest names them by content hash instead.
    Templates,
}

impl Reach {
    /// The rows of `org`, as a condition on the table's own columns.
    pub fn condition(self, org: Uuid) -> Condition {
        let col = |name: &str| Expr::col(Alias::new(name));
        let any = |columns: &[&str]| columns.iter().fold(Condition::any(), |c, name| c.add(col(name).eq(org)));
        // `column` is one of the `picked` values of the rows of `table` that meet `rows`.
        let within = |column: &str, picked: &str, table: &str, rows: Condition| {
            let select = Query::select().column(Alias::new(picked)).from(Alias::new(table)).cond_where(rows).to_owned();
            Condition::all().add(col(column).in_subquery(select))
        };
        match self {
            Reach::Own(column) => Condition::all().add(col(column).eq(org)),
            Reach::Any(columns) => any(columns),
            Reach::OfAssessments => within("assessment_id", "id", "assessments", any(ASSESSMENT_PARTIES)),
            Reach::OfShares => within("share_id", "id", "shares", any(SHARE_PARTIES)),
            Reach::OfUsers => within("user_id", "id", "users", any(&["organization_id"])),
            Reach::Chain => Condition::all().add(col("chain").eq(org.to_string())),
            Reach::Templates => Condition::any().add(col("organization_id").eq(org)).add(
                Condition::all().add(col("builtin").eq(false)).add(within(
                    "id",
                    "template_id",
                    "assessments",
                    any(ASSESSMENT_PARTIES),
                )),
            ),
        }
    }
}

const ASSESSMENT_PARTIES: &[&str] = &["buyer_organization_id", "supplier_organization_id"];
const SHARE_PARTIES: &[&str] = &["organization_id", "recipient_organization_id"];

/// Whether an export carries a table's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// As JSON Lines, in this order (parents before children: the import's order).
    Yes,
    /// Never: credentials, sessions and one-time tokens (useless elsewhere, dangerous in a
    /// file), caches and the outbox.
    No,
}

/// What an erasure of the organization does to a table's rows (`portability::erasure`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Erased {
    /// Every row it reaches goes.
    Deleted,
    /// Rows whose `owner` column names another organization stay with that one, redacted
    /// (its users' names and addresses replaced, their ids emptied, the `cleared` columns
    /// emptied); the organization's own go.
    KeptByOwner { owner: &'static str, cleared: &'static [&'static str] },
    /// Rows whose `owner` column names another organization stay with it untouched (a
    /// buyer's check sheet, shared by all its suppliers' assessments); its own go.
    KeptAsIsByOwner { owner: &'static str },
    /// Rows of an assessment another organization keeps as its buyer stay, redacted; those of
    /// the organization's own assessments go.
    WithKeptAssessment,
    /// The erasure's own record: the tombstone stays, without anyone's id.
    Tombstone,
}

/// What erasing one person does to the rows that name them (`portability::person`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersonErased {
    /// The row is theirs (their account, sessions, sign-ins): it goes.
    Deleted,
    /// The row is the organization's (an answer they gave, a comment they wrote): it stays,
    /// with their id emptied and their name and address replaced.
    Redacted,
}

/// One table of the schema.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub name: &'static str,
    pub reach: Reach,
    pub carried: Carried,
    /// Columns left out of the export (secrets; the import fills in what is safe).
    pub withheld: &'static [&'static str],
    pub erased: Erased,
    /// Columns naming a person: a user's id, or an address (a column whose name ends in
    /// `email`). A test holds every `*_by`, `*user_id` and `*email` column to this list.
    pub people: &'static [&'static str],
    pub person_erased: PersonErased,
}

const fn carried(name: &'static str, reach: Reach, withheld: &'static [&'static str]) -> Table {
    Table {
        name,
        reach,
        carried: Carried::Yes,
        withheld,
        erased: Erased::Deleted,
        people: &[],
        person_erased: PersonErased::Redacted,
    }
}

const fn kept_back(name: &'static str, reach: Reach) -> Table {
    Table {
        name,
        reach,
        carried: Carried::No,
        withheld: &[],
        erased: Erased::Deleted,
        people: &[],
        person_erased: PersonErased::Redacted,
    }
}

impl Table {
    const fn erased(mut self, erased: Erased) -> Self {
        self.erased = erased;
        self
    }

    /// The columns naming a person, whose rows stay redacted when that person is erased.
    const fn people(mut self, columns: &'static [&'static str]) -> Self {
        self.people = columns;
        self
    }

    /// The columns naming a person, whose rows go when that person is erased.
    const fn personal(mut self, columns: &'static [&'static str]) -> Self {
        self.people = columns;
        self.person_erased = PersonErased::Deleted;
        self
    }

    /// The rows that name the person `user` (by id, or by `email` in any case); None when the
    /// table names no one.
    pub fn naming(&self, user: Uuid, email: &str) -> Option<Condition> {
        use sea_orm::sea_query::Func;
        if self.people.is_empty() {
            return None;
        }
        let email = email.to_lowercase();
        Some(self.people.iter().fold(Condition::any(), |c, column| {
            if column.ends_with("email") {
                c.add(Expr::expr(Func::lower(Expr::col(Alias::new(*column)))).eq(email.as_str()))
            } else {
                c.add(Expr::col(Alias::new(*column)).eq(user))
            }
        }))
    }
}

/// The assessments another organization keeps when `org` is erased: it answered them as
/// their supplier.
pub fn kept_assessments(org: Uuid) -> Condition {
    Condition::all()
        .add(Expr::col(Alias::new("supplier_organization_id")).eq(org))
        .add(Expr::col(Alias::new("buyer_organization_id")).ne(org))
}

impl Reach {
    /// The rows of `org` an erasure keeps for another organization (see [`Erased`]); `None`
    /// when it keeps none of the table.
    pub fn kept(self, erased: Erased, org: Uuid) -> Option<Condition> {
        match erased {
            Erased::Deleted | Erased::Tombstone => None,
            Erased::KeptByOwner { owner, .. } | Erased::KeptAsIsByOwner { owner } => {
                Some(Condition::all().add(self.condition(org)).add(Expr::col(Alias::new(owner)).ne(org)))
            }
            Erased::WithKeptAssessment => {
                let select = Query::select()
                    .column(Alias::new("id"))
                    .from(Alias::new("assessments"))
                    .cond_where(kept_assessments(org))
                    .to_owned();
                Some(Condition::all().add(Expr::col(Alias::new("assessment_id")).in_subquery(select)))
            }
        }
    }

    /// The rows of `org` an erasure deletes: those it reaches and does not keep.
    pub fn erased(self, erased: Erased, org: Uuid) -> Condition {
        match self.kept(erased, org) {
            Some(kept) => Condition::all().add(self.condition(org)).add(kept.not()),
            None => self.condition(org),
        }
    }
}

/// Every table, parents first.
pub const TABLES: &[Table] = &[
    carried("organizations", Reach::Own("id"), &[]),
    carried("organization_settings", Reach::Own("organization_id"), &[]),
    // Without password hashes (the entity never serialises them): imported users set a
    // password with a reset link.
    carried("users", Reach::Own("organization_id"), &[]).personal(&["id", "email"]),
    // The invitations a person sent, and the one that brought them, go with them.
    carried("user_invitations", Reach::Own("organization_id"), &["token_hash"]).personal(&["invited_by", "email"]),
    carried("api_keys", Reach::Own("organization_id"), &["key_hash"]).people(&["created_by"]),
    // A buyer's sheet its supplier answered stays the buyer's.
    carried("templates", Reach::Templates, &[]).erased(Erased::KeptAsIsByOwner { owner: "organization_id" }),
    // A buyer's record of the organization as its supplier stays the buyer's, unlinked and
    // without automatic re-reviews (they would go to no one).
    carried("suppliers", Reach::Any(&["organization_id", "supplier_organization_id"]), &[])
        .erased(Erased::KeptByOwner {
            owner: "organization_id",
            cleared: &["supplier_organization_id", "next_review_on", "review_opens_on"],
        })
        .people(&["contact_email"]),
    carried("campaigns", Reach::Own("organization_id"), &[]).people(&["created_by"]),
    // What the organization answered as a supplier stays with its buyer, redacted.
    carried("assessments", Reach::Any(ASSESSMENT_PARTIES), &[])
        .erased(Erased::KeptByOwner { owner: "buyer_organization_id", cleared: &[] }),
    carried("supplier_invitations", Reach::OfAssessments, &["token_hash"]).people(&["email"]),
    carried("answers", Reach::OfAssessments, &[]).erased(Erased::WithKeptAssessment).people(&["answered_by"]),
    carried("assessment_comments", Reach::OfAssessments, &[])
        .erased(Erased::WithKeptAssessment)
        .people(&["author_user_id"]),
    carried("assessment_events", Reach::OfAssessments, &[])
        .erased(Erased::WithKeptAssessment)
        .people(&["actor_user_id"]),
    carried("assessment_scores", Reach::OfAssessments, &[]).erased(Erased::WithKeptAssessment),
    carried("assessment_category_scores", Reach::OfAssessments, &[]).erased(Erased::WithKeptAssessment),
    // The files it uploaded go, also from what its buyers keep.
    carried("evidence", Reach::OfAssessments, &[]).people(&["uploaded_by"]),
    carried("forwarding_consents", Reach::OfAssessments, &[]).people(&["updated_by"]),
    carried("supplier_claims", Reach::Any(&["buyer_organization_id", "claimant_organization_id"]), &[]).people(&[
        "claimant_user_id",
        "claimant_email",
        "decided_by",
    ]),
    carried("comparison_rows", Reach::Own("buyer_organization_id"), &[]),
    carried("library_answers", Reach::Own("organization_id"), &[]).people(&["updated_by"]),
    carried("library_evidence", Reach::Own("organization_id"), &[]),
    carried("shares", Reach::Any(SHARE_PARTIES), &["link_hash"]).people(&[
        "terms_accepted_by",
        "reviewed_by",
        "created_by",
    ]),
    carried("share_evidence", Reach::OfShares, &[]),
    carried("share_requests", Reach::Any(&["requester_organization_id", "supplier_organization_id"]), &[])
        .people(&["created_by"]),
    carried("supply_chain_forwards", Reach::Any(&["organization_id", "recipient_organization_id"]), &[])
        .people(&["created_by"]),
    // The signing secret stays behind: an imported endpoint is inactive with a new secret.
    carried("webhook_endpoints", Reach::Own("organization_id"), &["secret"]),
    carried("sign_ins", Reach::OfUsers, &[]).personal(&["user_id"]),
    // A person's events in every trail are redacted by `audit::redaction`, not row by row.
    carried("audit_events", Reach::Own("organization_id"), &[]).people(&["actor_user_id"]),
    carried("audit_checkpoints", Reach::Own("organization_id"), &[]),
    carried("audit_chain_heads", Reach::Chain, &[]),
    kept_back("browser_sessions", Reach::OfUsers).personal(&["user_id"]),
    kept_back("refresh_tokens", Reach::OfUsers).personal(&["user_id"]),
    kept_back("email_tokens", Reach::OfUsers).personal(&["user_id", "email"]),
    kept_back("mfa_tickets", Reach::OfUsers).personal(&["user_id"]),
    kept_back("user_totp", Reach::OfUsers).personal(&["user_id"]),
    kept_back("recovery_codes", Reach::OfUsers).personal(&["user_id"]),
    kept_back("idempotency_keys", Reach::Own("organization_id")).personal(&["user_id"]),
    kept_back("jobs", Reach::Own("organization_id")),
    // A person's own archive goes with them (`portability::person`); who asked for another
    // is forgotten.
    kept_back("organization_exports", Reach::Own("organization_id")).people(&["requested_by", "subject_user_id"]),
    kept_back("organization_erasures", Reach::Own("organization_id")).erased(Erased::Tombstone).people(&[
        "user_id",
        "requested_by",
        "cancelled_by",
    ]),
];

/// Tables that hold no organization's data: the migration ledger.
pub const NOT_ORGANIZATION_DATA: &[&str] = &["seaql_migrations"];
