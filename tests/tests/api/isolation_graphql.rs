//! The GraphQL half of the two-party isolation matrix: every root field but the anonymous
//! `invitation`, with the same parties, rules and cells as the REST rows.

use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, TestResult, due_in, graphql_input, spawn_app};
use crate::isolation_parties::{
    Ids, Rule, Stranger, admins_of_their_own, answerers, buyer_admins, buyer_editors_of_registry, buyer_readers,
    buyer_reviewers, callers, editors_of_their_own, library_keepers, library_keepers_of_a_template, meets,
    new_template, participants, parties, readable_by_both, refers_to_the_unknown, share_recipient_procurers,
    share_recipients, supplier_admins, the_signed_in_owner, tier1_admins,
};

pub struct GraphqlRow {
    pub field: &'static str,
    query: String,
    rule: Rule,
    stranger: Stranger,
    destructive: bool,
}

/// A JSON value written as a GraphQL input literal (object keys unquoted).
fn literal(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map.iter().map(|(k, v)| format!("{k}: {}", literal(v))).collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(literal).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// Every GraphQL root field except the anonymous `invitation`, in the
/// same shape as the REST rows.
pub fn graphql_rows(ids: &Ids) -> Vec<GraphqlRow> {
    use Stranger::{EmptyList, NotFound, Own};
    let (x, e, sup, c) = (&ids.assessment, &ids.evidence, &ids.supplier_record, &ids.campaign);
    let (builtin, a_template, w) = (&ids.builtin_template, &ids.a_template, &ids.webhook);
    let claim = uuid::Uuid::new_v4();
    let (sh, rq, fw) = (&ids.share, &ids.share_request, &ids.forward);
    let row = |field: &'static str, query: String, rule: Rule, stranger: Stranger| GraphqlRow {
        field,
        query,
        rule,
        stranger,
        destructive: false,
    };
    let last = |field: &'static str, query: String, rule: Rule| GraphqlRow {
        field,
        query,
        rule,
        stranger: NotFound,
        destructive: true,
    };
    let mut template = new_template();
    template["key"] = json!("t-FRESH");
    let template = literal(&graphql_input(&template));
    let campaign =
        literal(&json!({ "name": "Matrix", "templateId": builtin, "dueDate": due_in(30), "supplierIds": [sup] }));
    vec![
        row("me", "{ me { user { id } } }".into(), readable_by_both, Own),
        row("mfaStatus", "{ mfaStatus { enabled } }".into(), readable_by_both, Own),
        row("mySessions", "{ mySessions { id current } }".into(), readable_by_both, Own),
        row("startTotpEnrolment", "mutation { startTotpEnrolment { otpauthUri } }".into(), readable_by_both, Own),
        row("endOtherSessions", "mutation { endOtherSessions }".into(), readable_by_both, Own),
        // Before `createApiKey`: the stranger's list is empty until it makes one.
        row("apiKeys", "{ apiKeys { edges { node { id } } } }".into(), admins_of_their_own, EmptyList),
        row(
            "createApiKey",
            r#"mutation { createApiKey(input: { name: "Matrix", scope: "read_only" }) { key } }"#.into(),
            admins_of_their_own,
            Own,
        ),
        // The caller's own address only.
        row("resendVerificationMail", "mutation { resendVerificationMail }".into(), readable_by_both, Own),
        row("templates", "{ templates { edges { node { id } } } }".into(), readable_by_both, Own),
        row("template", format!(r#"{{ template(id: "{builtin}") {{ id }} }}"#), readable_by_both, Own),
        row("templateExport", format!(r#"{{ templateExport(id: "{builtin}") {{ key }} }}"#), readable_by_both, Own),
        row(
            "saveLibraryAnswer",
            format!(
                r#"mutation {{ saveLibraryAnswer(templateId: "{builtin}", no: 1, input: {{ status: IMPLEMENTED }}) {{ no }} }}"#
            ),
            library_keepers,
            Own,
        ),
        row("library", format!(r#"{{ library(templateId: "{builtin}") {{ templateId }} }}"#), library_keepers, Own),
        row("libraryLines", "{ libraryLines { templateId items } }".into(), library_keepers, Own),
        row(
            "library",
            format!(r#"{{ library(templateId: "{a_template}") {{ templateId }} }}"#),
            library_keepers_of_a_template,
            NotFound,
        ),
        row("prefillPreview", format!(r#"{{ prefillPreview(assessmentId: "{x}") {{ prefilled }} }}"#), answerers, NotFound),
        row(
            "prefillAssessment",
            format!(r#"mutation {{ prefillAssessment(assessmentId: "{x}") {{ prefilled }} }}"#),
            answerers,
            NotFound,
        ),
        GraphqlRow {
            field: "deleteLibraryAnswer",
            query: format!(r#"mutation {{ deleteLibraryAnswer(templateId: "{builtin}", no: 1) }}"#),
            rule: library_keepers,
            stranger: Own,
            destructive: true,
        },
        row("shares", "{ shares { edges { node { id } } } }".into(), readable_by_both, EmptyList),
        row(
            "forwardingConsent",
            format!(r#"{{ forwardingConsent(assessmentId: "{x}") {{ consent }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "setForwardingConsent",
            format!(r#"mutation {{ setForwardingConsent(assessmentId: "{x}", input: {{ consent: NAMED }}) {{ consent }} }}"#),
            supplier_admins,
            NotFound,
        ),
        row("supplyChainForwards", "{ supplyChainForwards { edges { node { id } } } }".into(), readable_by_both, EmptyList),
        row(
            "supplyChainForward",
            format!(r#"{{ supplyChainForward(id: "{fw}") {{ forward {{ id }} figure {{ asked }} }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "supplyChainBelow",
            "{ supplyChainBelow { edges { node { forward { id } figure { counted } } } } }".into(),
            readable_by_both,
            EmptyList,
        ),
        row(
            "forwardSupplyChain",
            format!(r#"mutation {{ forwardSupplyChain(input: {{ assessmentId: "{x}" }}) {{ id }} }}"#),
            tier1_admins,
            NotFound,
        ),
        row("shareRequests", "{ shareRequests { edges { node { id } } } }".into(), readable_by_both, EmptyList),
        row(
            "sharedComparison",
            "{ sharedComparison { edges { node { share { id } score { overall } } } } }".into(),
            readable_by_both,
            EmptyList,
        ),
        row("share", format!(r#"{{ share(id: "{sh}") {{ id }} }}"#), readable_by_both, NotFound),
        row(
            "sharedAssessment",
            format!(r#"{{ sharedAssessment(shareId: "{sh}") {{ targetLevel }} }}"#),
            share_recipients,
            NotFound,
        ),
        row(
            "acceptShareTerms",
            format!(r#"mutation {{ acceptShareTerms(id: "{sh}") {{ id }} }}"#),
            share_recipient_procurers,
            NotFound,
        ),
        row(
            "reviewShare",
            format!(r#"mutation {{ reviewShare(id: "{sh}", input: {{ decision: ACCEPT }}) {{ share {{ id }} }} }}"#),
            share_recipient_procurers,
            NotFound,
        ),
        row(
            "createShare",
            format!(
                r#"mutation {{ createShare(input: {{ templateId: "{builtin}", recipientDomain: "example.org", scope: SCORES }}) {{ id linkToken }} }}"#
            ),
            admins_of_their_own,
            Own,
        ),
        row(
            "requestShare",
            format!(r#"mutation {{ requestShare(input: {{ supplierId: "{sup}", templateId: "{builtin}" }}) {{ id }} }}"#),
            buyer_editors_of_registry,
            NotFound,
        ),
        row("suppliers", "{ suppliers { edges { node { id } } } }".into(), readable_by_both, EmptyList),
        row("supplier", format!(r#"{{ supplier(id: "{sup}") {{ id }} }}"#), buyer_readers, NotFound),
        row("campaigns", "{ campaigns { edges { node { id } } } }".into(), readable_by_both, EmptyList),
        row("campaign", format!(r#"{{ campaign(id: "{c}") {{ id }} }}"#), buyer_readers, NotFound),
        row("assessments", "{ assessments { edges { node { id } } } }".into(), readable_by_both, EmptyList),
        row("assessment", format!(r#"{{ assessment(id: "{x}") {{ id }} }}"#), readable_by_both, NotFound),
        row(
            "assessment",
            format!(r#"{{ assessment(id: "{x}") {{ score {{ overall levels {{ level1 {{ achievement }} }} }} }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "assessmentGaps",
            format!(r#"{{ assessmentGaps(id: "{x}", includeUnanswered: true) {{ no }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "assessmentCrosswalk",
            format!(r#"{{ assessmentCrosswalk(id: "{x}") {{ stars {{ star supported }} }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "supplierScores",
            format!(r#"{{ supplierScores(supplierId: "{sup}") {{ nodes {{ assessmentId }} }} }}"#),
            buyer_readers,
            NotFound,
        ),
        row(
            "assessmentQuestions",
            format!(r#"{{ assessmentQuestions(id: "{x}") {{ no }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "assessmentComments",
            format!(r#"{{ assessmentComments(id: "{x}") {{ nodes {{ id }} }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "assessmentHistory",
            format!(r#"{{ assessmentHistory(id: "{x}") {{ nodes {{ id }} }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row(
            "assessmentEvidence",
            format!(r#"{{ assessmentEvidence(id: "{x}") {{ nodes {{ id }} }} }}"#),
            readable_by_both,
            NotFound,
        ),
        row("comparison", "{ comparison { edges { node { templateId } } } }".into(), readable_by_both, EmptyList),
        row("heatmap", "{ heatmap { edges { node { templateId } } } }".into(), readable_by_both, EmptyList),
        row("itemStats", format!(r#"{{ itemStats(templateId: "{builtin}") {{ suppliers }} }}"#), readable_by_both, Own),
        row("comparisonSummary", "{ comparisonSummary { rows } }".into(), readable_by_both, Own),
        row("supplierClaims", "{ supplierClaims { edges { node { id } } } }".into(), admins_of_their_own, EmptyList),
        row("organizationSettings", "{ organizationSettings { version } }".into(), admins_of_their_own, Own),
        row(
            "updateOrganizationSettings",
            "mutation { updateOrganizationSettings(input: { reviewLeadDays: 30 }) { version } }".into(),
            admins_of_their_own,
            Own,
        ),
        row("deliveries", "{ deliveries { edges { node { id } } } }".into(), admins_of_their_own, EmptyList),
        // Before `createWebhook`: the stranger's list is empty until it makes one.
        row("webhooks", "{ webhooks { edges { node { id } } } }".into(), admins_of_their_own, EmptyList),
        row("webhook", format!(r#"{{ webhook(id: "{w}") {{ id }} }}"#), buyer_admins, NotFound),
        row(
            "webhookDeliveries",
            format!(r#"{{ webhookDeliveries(id: "{w}") {{ edges {{ node {{ id }} }} }} }}"#),
            buyer_admins,
            NotFound,
        ),
        row(
            "createWebhook",
            r#"mutation { createWebhook(input: { url: "https://hooks.example.com/gql", eventTypes: [ASSESSMENT_SUBMITTED] }) { id } }"#
                .into(),
            admins_of_their_own,
            Own,
        ),
        row(
            "updateWebhook",
            format!(r#"mutation {{ updateWebhook(id: "{w}", input: {{ description: "Matrix" }}) {{ id }} }}"#),
            buyer_admins,
            NotFound,
        ),
        row("pingWebhook", format!(r#"mutation {{ pingWebhook(id: "{w}") {{ id }} }}"#), buyer_admins, NotFound),
        row(
            "importTemplate",
            format!(r#"mutation {{ importTemplate(input: {template}) {{ id }} }}"#),
            editors_of_their_own,
            Own,
        ),
        row(
            "cloneTemplate",
            format!(r#"mutation {{ cloneTemplate(id: "{builtin}") {{ id }} }}"#),
            editors_of_their_own,
            Own,
        ),
        row(
            "updateTemplate",
            format!(r#"mutation {{ updateTemplate(id: "{a_template}", input: {{ name: "renamed" }}) {{ id }} }}"#),
            buyer_editors_of_registry,
            NotFound,
        ),
        row(
            "createSupplier",
            format!(
                r#"mutation {{ createSupplier(input: {{ name: "Gql Co", contactName: "C", contactEmail: "{}", tier: "tier1" }}) {{ id }} }}"#,
                "gql-FRESH@example.com"
            ),
            editors_of_their_own,
            Own,
        ),
        row(
            "updateSupplier",
            format!(r#"mutation {{ updateSupplier(id: "{sup}", input: {{ tier: "tier1" }}) {{ id }} }}"#),
            buyer_editors_of_registry,
            NotFound,
        ),
        row(
            "saveAnswer",
            format!(
                r#"mutation {{ saveAnswer(assessmentId: "{x}", no: 1, input: {{ status: IMPLEMENTED }}) {{ version }} }}"#
            ),
            answerers,
            NotFound,
        ),
        row(
            "saveAnswers",
            format!(
                r#"mutation {{ saveAnswers(assessmentId: "{x}", input: {{ answers: [{{ no: 1, status: IMPLEMENTED }}] }}) {{ version }} }}"#
            ),
            answerers,
            NotFound,
        ),
        row(
            "uploadEvidence",
            format!(
                r#"mutation {{ uploadEvidence(assessmentId: "{x}", input: {{ fileName: "e.pdf", contentType: "application/pdf", contentBase64: "JVBERi0xLjQgeA==" }}) {{ id }} }}"#
            ),
            answerers,
            NotFound,
        ),
        row(
            "addComment",
            format!(r#"mutation {{ addComment(assessmentId: "{x}", input: {{ body: "A question" }}) {{ id }} }}"#),
            participants,
            NotFound,
        ),
        row("resendInvitation", format!(r#"mutation {{ resendInvitation(id: "{x}") }}"#), buyer_reviewers, NotFound),
        // The token is the scope: a signed-in owner or admin gets past the role check
        // to the token check (here `not_found`). Anonymous GraphQL callers get only
        // `invitation`; the anonymous accept (a new account) is the REST route.
        last(
            "acceptInvitation",
            r#"mutation { acceptInvitation(token: "not-a-real-token") { status } }"#.into(),
            admins_of_their_own,
        ),
        last(
            "claimShare",
            r#"mutation { claimShare(token: "no-such-link") { id } }"#.into(),
            editors_of_their_own,
        ),
        last("declineShareRequest", format!(r#"mutation {{ declineShareRequest(id: "{rq}") {{ id }} }}"#), supplier_admins),
        last("cancelShareRequest", format!(r#"mutation {{ cancelShareRequest(id: "{rq}") {{ id }} }}"#), buyer_reviewers),
        last("revokeShare", format!(r#"mutation {{ revokeShare(id: "{sh}") }}"#), supplier_admins),
        last(
            "revokeSupplyChainForward",
            format!(r#"mutation {{ revokeSupplyChainForward(id: "{fw}") {{ id }} }}"#),
            supplier_admins,
        ),
        last(
            "approveSupplierClaim",
            format!(r#"mutation {{ approveSupplierClaim(id: "{claim}") {{ id }} }}"#),
            admins_of_their_own,
        ),
        last(
            "rejectSupplierClaim",
            format!(r#"mutation {{ rejectSupplierClaim(id: "{claim}") {{ id }} }}"#),
            admins_of_their_own,
        ),
        last(
            "createCampaign",
            format!(r#"mutation {{ createCampaign(input: {campaign}) {{ id }} }}"#),
            buyer_editors_of_registry,
        ),
        last(
            "resendDelivery",
            format!(r#"mutation {{ resendDelivery(id: "{}") {{ id }} }}"#, ids.delivery),
            buyer_admins,
        ),
        last(
            "updateRemediation",
            format!(
                r#"mutation {{ updateRemediation(assessmentId: "{x}", no: 1, input: {{ done: true }}) {{ no }} }}"#
            ),
            answerers,
        ),
        last(
            "openReview",
            format!(r#"mutation {{ openReview(supplierId: "{sup}") {{ id }} }}"#),
            buyer_editors_of_registry,
        ),
        last("submitAssessment", format!(r#"mutation {{ submitAssessment(id: "{x}") {{ id }} }}"#), answerers),
        last(
            "reviewAssessment",
            format!(r#"mutation {{ reviewAssessment(id: "{x}", input: {{ decision: ACCEPT }}) {{ id }} }}"#),
            buyer_reviewers,
        ),
        last(
            "deleteEvidence",
            format!(r#"mutation {{ deleteEvidence(assessmentId: "{x}", evidenceId: "{e}") }}"#),
            answerers,
        ),
        last("cancelAssessment", format!(r#"mutation {{ cancelAssessment(id: "{x}") {{ id }} }}"#), buyer_reviewers),
        last(
            "cancelCampaign",
            format!(r#"mutation {{ cancelCampaign(id: "{c}") {{ id }} }}"#),
            buyer_editors_of_registry,
        ),
        last("deleteSupplier", format!(r#"mutation {{ deleteSupplier(id: "{sup}") }}"#), buyer_editors_of_registry),
        last("deleteWebhook", format!(r#"mutation {{ deleteWebhook(id: "{w}") }}"#), buyer_admins),
        last("revokeApiKey", format!(r#"mutation {{ revokeApiKey(id: "{}") }}"#, ids.api_key), buyer_admins),
        last("endSession", format!(r#"mutation {{ endSession(id: "{}") }}"#, ids.session), the_signed_in_owner),
    ]
}

fn graphql_code(reply: &Reply) -> &str {
    let error = &reply.body["errors"][0]["extensions"];
    match error["code"].as_str() {
        Some("validation_failed") if refers_to_the_unknown(error) => "not_found",
        Some(code) => code,
        None => "none",
    }
}

/// The row's query with `FRESH` made unique, so that creations do not collide.
fn fresh(query: &str) -> String {
    query.replace("FRESH", &uuid::Uuid::new_v4().simple().to_string())
}

/// An anonymous GraphQL request from loopback address 127.0.0.(2 + n / 20): anonymous
/// GraphQL is limited to 30 requests a minute per address, and the matrix has more rows.
async fn anonymous_graphql(app: &TestApp, n: usize, query: &str) -> Result<Reply, Box<dyn std::error::Error>> {
    let last_octet = u8::try_from(2 + n / 20)?;
    let client = reqwest::Client::builder().local_address(std::net::IpAddr::from([127, 0, 0, last_octet])).build()?;
    let response = client.post(app.url("/graphql")).json(&json!({ "query": query })).send().await?;
    Ok(TestApp::read(response).await)
}

#[tokio::test]
async fn every_graphql_root_field_answers_each_party_as_its_role_allows() -> TestResult {
    let app = spawn_app().await;
    let p = parties(&app).await;
    for (n, row) in graphql_rows(&p.ids).into_iter().enumerate() {
        let field = row.field;
        let anonymous = anonymous_graphql(&app, n, &fresh(&row.query)).await?;
        assert_eq!(graphql_code(&anonymous), "unauthenticated", "{field} anonymous: {}", anonymous.body);
        let stranger = app.graphql(Some(&p.b_owner.access_token), &fresh(&row.query)).await;
        let stranger_ok = match row.stranger {
            Stranger::NotFound => graphql_code(&stranger) == "not_found",
            Stranger::EmptyList => stranger.body["data"][field]["edges"] == json!([]),
            Stranger::Own => stranger.body["errors"].is_null(),
        };
        assert!(stranger_ok, "{field} as another tenant: {}", stranger.body);
        for (org, role, member) in callers(&p, row.rule) {
            let reply = app.graphql(Some(&member.access_token), &fresh(&row.query)).await;
            let expect = (row.rule)(org, role);
            assert!(
                meets(expect, row.destructive, reply.body["errors"].is_null(), graphql_code(&reply)),
                "{field} as {org}:{role} expected {expect:?}, got {}",
                reply.body
            );
        }
    }
    Ok(())
}
