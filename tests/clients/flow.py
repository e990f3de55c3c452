#!/usr/bin/env python3
"""The whole questionnaire flow, driven with ONLY the Python client that
`openapi-python-client` generates from `openapi/openapi.json` (docs/integrations.md).

    tests/clients/contract.sh python          # generates the client, starts a server, runs this

or by hand, against a running kensa-api:

    openapi-python-client generate --path openapi/openapi.json --output-path tests/clients/generated/kensa_client --meta none
    KENSA_URL=http://localhost:8080 KENSA_OUTBOX=data/outbox python3 tests/clients/flow.py

A buyer signs up, reads the catalog, registers suppliers (one by one and by CSV import),
sends a campaign; the supplier accepts the mailed invitation, answers with `If-Match`,
attaches evidence and submits; the buyer requests changes, the supplier answers again, the
buyer accepts; both read the history, the buyer the audit trail. Every call goes through the
generated client and its parsed, typed answer; the only other thing read is the mail
outbox, where the invitation link arrives. Prints one line per step and `N passed, 0 failed`.
"""

import datetime
import email
import email.policy
import glob
import io
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated"))

from kensa_client import AuthenticatedClient, Client  # noqa: E402
from kensa_client.api.assessments import (  # noqa: E402
    add_comment,
    get_assessment,
    list_assessments,
    list_comments,
    list_history,
    list_questions,
    review_assessment,
    save_answer,
    save_answers,
    submit_assessment,
)
from kensa_client.api.audit import list_audit_events  # noqa: E402
from kensa_client.api.auth import get_me, log_out, refresh_session, sign_up, verify_email  # noqa: E402
from kensa_client.api.campaigns import create_campaign, get_campaign  # noqa: E402
from kensa_client.api.evidence import download_evidence, list_evidence, upload_evidence  # noqa: E402
from kensa_client.api.invitations import accept_invitation, preview_invitation  # noqa: E402
from kensa_client.api.suppliers import create_supplier, import_suppliers, list_suppliers, update_supplier  # noqa: E402
from kensa_client.api.templates import get_template, list_templates  # noqa: E402
from kensa_client.models import (  # noqa: E402
    AcceptNew,
    AnswerInput,
    AnswerSnapshot,
    AnswerStatus,
    AssessmentSide,
    BulkAnswer,
    BulkAnswers,
    CampaignInput,
    CommentInput,
    CsvForm,
    Decision,
    ErrorCode,
    EvidenceForm,
    HistoryKind,
    ItemComment,
    Locale,
    Problem,
    RefreshRequest,
    ReviewInput,
    SignupRequest,
    Status,
    SupplierCreate,
    SupplierPatch,
    Visibility,
)
from kensa_client.types import File  # noqa: E402

BASE = os.environ.get("KENSA_URL", "http://localhost:8080")
OUTBOX = os.environ.get("KENSA_OUTBOX", "data/outbox")
PASSED = []


def step(name):
    PASSED.append(name)
    print(f"ok {len(PASSED):2} {name}")


def expect(response, status):
    """The typed answer of a call that must answer `status`."""
    if response.status_code != status:
        sys.exit(f"expected {status}, got {response.status_code}: {response.content[:500]!r}")
    if isinstance(response.parsed, Problem):
        sys.exit(f"expected a {status} answer, got a problem: {response.parsed}")
    return response.parsed


def problem(response, status, code):
    """The typed problem of a call that must fail with `status` and `code`."""
    if response.status_code != status or not isinstance(response.parsed, Problem):
        sys.exit(f"expected a {status} problem, got {response.status_code}: {response.content[:500]!r}")
    if response.parsed.code != code:
        sys.exit(f"expected code {code}, got {response.parsed.code}")
    return response.parsed


def mail_token(to, path):
    """The token of the newest `{path}<token>` link mailed to `to` (the worker sends mails a
    moment after the request: wait up to 10 s)."""
    link = re.compile(re.escape(path) + r"([A-Za-z0-9_-]+)")
    for _ in range(100):
        for name in sorted(glob.glob(os.path.join(OUTBOX, "*.eml")), key=os.path.getmtime, reverse=True):
            try:
                with open(name, "rb") as f:
                    mail = email.message_from_binary_file(f, policy=email.policy.default)
                found = to in str(mail["To"]).lower() and link.search((mail.get_body(("plain",)) or mail).get_content())
            except Exception:
                found = None  # a mail still being written
            if found:
                return found.group(1)
        time.sleep(0.1)
    sys.exit(f"no mail with a {path} link to {to} in {OUTBOX}")


def main():
    anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)

    # 1. The buyer signs up; the session's tokens authenticate the client.
    session = expect(sign_up.sync_detailed(client=anonymous, body=SignupRequest(
        organization_name="Acme Parts", name="Aki Tanaka", email="aki@acme.example",
        password="correct-Horse-battery-9", locale=Locale.EN)), 201)
    buyer = AuthenticatedClient(base_url=BASE, token=session.access_token, raise_on_unexpected_status=True)
    me = expect(get_me.sync_detailed(client=buyer), 200)
    assert me.organization.name == "Acme Parts" and me.role.value == "owner"
    step("sign up and read /me")

    # The owner follows the link mailed at sign-up: until then the organization mails no one.
    expect(verify_email.sync_detailed(mail_token("aki@acme.example", "/verify/"), client=anonymous), 204)
    step("verify the owner's address")

    # 2. The catalog: the built-in check sheet, Lv1 items only.
    templates = expect(list_templates.sync_detailed(client=buyer), 200)
    builtin = next(t for t in templates.data if t.builtin)
    tree = expect(get_template.sync_detailed(builtin.id, client=buyer, max_level=1), 200)
    assert tree.filtered_item_count > 0 and all(i.level == 1 for c in tree.categories for s in c.sections for i in s.items)
    step(f"catalog: {builtin.name} ({tree.filtered_item_count} Lv1 items)")

    # 3. Suppliers: one registered, one imported from CSV, one changed.
    created = create_supplier.sync_detailed(client=buyer, body=SupplierCreate(
        name="Tokai Seimitsu", contact_email="sato@tokai.example", contact_name="Sato", tier="1", target_level=1))
    supplier = expect(created, 201)
    assert created.headers["location"] == f"/api/v1/suppliers/{supplier.id}"
    csv = "name,contact_name,contact_email,contact_locale,tier,target_level,tags\n" \
          "Kansai Denki,Ito,ito@kansai.example,en,2,1,ecu;harness\n"
    report = expect(import_suppliers.sync_detailed(client=buyer, body=CsvForm(
        file=File(payload=io.BytesIO(csv.encode()), file_name="suppliers.csv", mime_type="text/csv"))), 200)
    assert report.created == 1 and report.applied
    expect(update_supplier.sync_detailed(supplier.id, client=buyer, body=SupplierPatch(tags=["tier1"])), 200)
    listed = expect(list_suppliers.sync_detailed(client=buyer, limit=10), 200)
    assert {s.name for s in listed.data} == {"Tokai Seimitsu", "Kansai Denki"}
    step("suppliers: create, CSV import, patch, list")

    # 4. A campaign: the built-in sheet at Lv1 to the first supplier.
    due = (datetime.date.today() + datetime.timedelta(days=30))
    created = create_campaign.sync_detailed(client=buyer, body=CampaignInput(
        name="FY2026 review", template_id=builtin.id, due_date=due, supplier_ids=[supplier.id], target_level=1))
    campaign = expect(created, 201)
    assert created.headers["location"] == f"/api/v1/campaigns/{campaign.id}"
    detail = expect(get_campaign.sync_detailed(campaign.id, client=buyer), 200)
    assessment_id = detail.assessments[0].id
    step("campaign sent")

    # 5. The supplier's contact accepts the mailed invitation with a new account.
    token = mail_token("sato@tokai.example", "/invitations/")
    preview = expect(preview_invitation.sync_detailed(token, client=anonymous), 200)
    assert preview.buyer_name == "Acme Parts"
    session = expect(accept_invitation.sync_detailed(token, client=anonymous, body=AcceptNew(
        name="Sato", email="sato@tokai.example", password="another-Long-pass-17",
        organization_name="Tokai Seimitsu KK")), 201)
    supplier_side = AuthenticatedClient(base_url=BASE, token=session.access_token, raise_on_unexpected_status=True)
    mine = expect(list_assessments.sync_detailed(client=supplier_side, role=AssessmentSide.SUPPLIER), 200)
    assert [a.id for a in mine.data] == [assessment_id]
    step("invitation previewed and accepted")

    # 6. Answers with If-Match: one, then the rest at once; a stale ETag is refused.
    got = get_assessment.sync_detailed(assessment_id, client=supplier_side)
    etag = got.headers["etag"]
    questions = expect(list_questions.sync_detailed(assessment_id, client=supplier_side), 200).data
    first, rest = questions[0], questions[1:]
    saved_one = save_answer.sync_detailed(assessment_id, first.no, client=supplier_side, if_match=etag,
                                          body=AnswerInput(status=AnswerStatus.IMPLEMENTED, comment="ISMS in place"))
    saved = expect(saved_one, 200)
    assert saved_one.headers["etag"] == f'"{saved.version}"'
    problem(save_answer.sync_detailed(assessment_id, first.no, client=supplier_side, if_match=etag,
                                      body=AnswerInput(status=AnswerStatus.NOT_APPLICABLE, reason="late")),
            412, ErrorCode.PRECONDITION_FAILED)
    etag = saved_one.headers["etag"]
    bulk = save_answers.sync_detailed(assessment_id, client=supplier_side, if_match=etag, body=BulkAnswers(
        answers=[BulkAnswer(no=q.no, status=AnswerStatus.IMPLEMENTED) for q in rest]))
    assert len(expect(bulk, 200).answers) == len(rest)
    etag = bulk.headers["etag"]
    step(f"answers: 1 + {len(rest)} saved with If-Match, a stale one refused (412)")

    # 7. Evidence: uploaded, listed, downloaded byte for byte.
    policy = "Information security policy, rev. 3\n".encode()
    uploaded = upload_evidence.sync_detailed(assessment_id, client=supplier_side, body=EvidenceForm(
        file=File(payload=io.BytesIO(policy), file_name="policy.txt", mime_type="text/plain"), item_no=first.no))
    evidence = expect(uploaded, 201)
    assert uploaded.headers["location"] == f"/api/v1/assessments/{assessment_id}/evidence/{evidence.id}"
    assert [e.id for e in expect(list_evidence.sync_detailed(assessment_id, client=supplier_side), 200).data] == [evidence.id]
    file = expect(download_evidence.sync_detailed(assessment_id, evidence.id, client=buyer), 200)
    assert file.payload.read() == policy
    step("evidence: upload, list, download")

    # 8. Submit; the buyer requests changes on one item; the supplier answers it again and
    #    resubmits; the buyer accepts.
    etag = get_assessment.sync_detailed(assessment_id, client=supplier_side).headers["etag"]
    submitted = expect(submit_assessment.sync_detailed(assessment_id, client=supplier_side, if_match=etag), 200)
    assert submitted.status == Status.SUBMITTED
    reviewed = expect(review_assessment.sync_detailed(assessment_id, client=buyer, body=ReviewInput(
        decision=Decision.REQUEST_CHANGES, comment="One item needs a plan",
        items=[ItemComment(no=first.no, comment="Which standard?")])), 200)
    assert reviewed.status == Status.CHANGES_REQUESTED
    again = save_answer.sync_detailed(assessment_id, first.no, client=supplier_side, if_match=f'"{reviewed.version}"',
                                      body=AnswerInput(status=AnswerStatus.IMPLEMENTED, comment="ISO/IEC 27001:2022"))
    expect(again, 200)
    expect(submit_assessment.sync_detailed(assessment_id, client=supplier_side, if_match=again.headers["etag"]), 200)
    accepted = expect(review_assessment.sync_detailed(assessment_id, client=buyer, body=ReviewInput(
        decision=Decision.ACCEPT)), 200)
    assert accepted.status == Status.ACCEPTED and accepted.accepted_at is not None
    step("review round trip: submitted, changes requested, resubmitted, accepted")

    # 9. Comments, both ways; the buyer's internal one stays with the buyer.
    expect(add_comment.sync_detailed(assessment_id, client=buyer, body=CommentInput(
        body="Filed with the FY2026 reviews", visibility=Visibility.INTERNAL)), 201)
    expect(add_comment.sync_detailed(assessment_id, client=supplier_side, body=CommentInput(body="Thank you")), 201)
    seen = expect(list_comments.sync_detailed(assessment_id, client=supplier_side), 200).data
    assert all(c.visibility == Visibility.SHARED for c in seen)
    step("comments")

    # 10. The history, with typed old and new values.
    history = expect(list_history.sync_detailed(assessment_id, client=buyer, limit=200), 200).data
    kinds = {e.kind for e in history}
    assert {HistoryKind.CREATED, HistoryKind.STATUS_CHANGED, HistoryKind.ANSWER_CHANGED,
            HistoryKind.EVIDENCE_ADDED, HistoryKind.COMMENT_ADDED} <= kinds, kinds
    changed = [e for e in history if e.kind == HistoryKind.ANSWER_CHANGED and e.item_no == first.no]
    assert isinstance(changed[-1].new_value, AnswerSnapshot) and changed[-1].new_value.comment == "ISO/IEC 27001:2022"
    statuses = [(e.old_value, e.new_value) for e in history if e.kind == HistoryKind.STATUS_CHANGED]
    assert (Status.SUBMITTED, Status.ACCEPTED) in statuses, statuses
    step(f"history: {len(history)} typed events")

    # 11. The audit trail, then a token rotation and sign-out.
    audit = expect(list_audit_events.sync_detailed(client=buyer, limit=50), 200).data
    assert any(e.action == "auth.signup" for e in audit), [e.action for e in audit]
    pair = expect(refresh_session.sync_detailed(client=anonymous, body=RefreshRequest(
        refresh_token=session.refresh_token)), 200)
    logged_out = log_out.sync_detailed(client=anonymous, body=RefreshRequest(refresh_token=pair.refresh_token))
    assert logged_out.status_code == 204
    step("audit trail, refresh, sign out")

    print(f"{len(PASSED)} passed, 0 failed")


if __name__ == "__main__":
    main()
