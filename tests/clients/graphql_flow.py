#!/usr/bin/env python3
"""The questionnaire flow over GraphQL (docs/integrations.md), with only the standard
library: a buyer registers a supplier and sends it the check sheet, the supplier (signed in
to its own new organization) accepts the invitation, answers every in-scope item in one
`saveAnswers` and submits, the buyer accepts, and both read the history.

Run against a started server by tests/clients/contract.sh:
    python3 tests/clients/serve.py -- python3 tests/clients/graphql_flow.py
(reads KENSA_URL and KENSA_OUTBOX). Sign-up stays REST (`POST /api/v1/auth/signup`): GraphQL
serves signed-in callers.
"""

import datetime
import email
import json
import os
import pathlib
import re
import time
import urllib.request
import uuid

BASE = os.environ["KENSA_URL"]
OUTBOX = pathlib.Path(os.environ["KENSA_OUTBOX"])
PASSWORD = "correct-Horse-battery-9"
passed = 0


def post(path, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(BASE + path, json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def gql(token, query, variables=None):
    reply = post("/graphql", {"query": query, "variables": variables or {}}, token)
    if reply.get("errors"):
        raise SystemExit(f"GraphQL errors: {json.dumps(reply['errors'])}")
    return reply["data"]


def check(name, ok):
    global passed
    if not ok:
        raise SystemExit(f"FAILED: {name}")
    passed += 1
    print(f"ok: {name}")


def signup(org, address=None):
    """An owner's token, the address verified with the link mailed at sign-up (until then an
    organization mails no one)."""
    address = address or f"{uuid.uuid4().hex[:8]}@gql.example"
    body = {"organization_name": org, "name": "Tester", "email": address, "password": PASSWORD}
    token = post("/api/v1/auth/signup", body)["access_token"]
    link = mailed_token(address, rb"/verify/([A-Za-z0-9_-]+)")
    req = urllib.request.Request(f"{BASE}/api/v1/auth/verify-email/{link}", b"", method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert resp.status == 204, resp.status
    return token


def invitation_token(to):
    return mailed_token(to, rb"/invitations/([A-Za-z0-9_-]+)")


def mailed_token(to, pattern):
    deadline = time.time() + 20
    while time.time() < deadline:
        for path in sorted(OUTBOX.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes())
            if to not in (msg["To"] or ""):
                continue
            for part in msg.walk():
                payload = part.get_payload(decode=True)
                found = payload and re.search(pattern, payload)
                if found:
                    return found.group(1).decode()
        time.sleep(0.2)  # the embedded worker mails a moment after the request
    raise SystemExit(f"no mail to {to} with {pattern!r}")


buyer = signup("GraphQL Buyer")
templates = gql(buyer, "{ templates(first: 50) { nodes { id key } } }")["templates"]["nodes"]
template = next(t["id"] for t in templates if t["key"] == "jama-japia")
contact = f"{uuid.uuid4().hex[:8]}@supplier.example"
supplier = gql(buyer, "mutation($i: SupplierInput!) { createSupplier(input: $i) { id name } }",
               {"i": {"name": "Tokai Parts", "contactName": "Ito", "contactEmail": contact, "targetLevel": 1}})
check("createSupplier", supplier["createSupplier"]["name"] == "Tokai Parts")

due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
campaign = gql(buyer, "mutation($i: CampaignInput!) { createCampaign(input: $i) { id assessmentCount } }",
               {"i": {"name": "FY2026", "templateId": template, "dueDate": due,
                      "supplierIds": [supplier["createSupplier"]["id"]]}})
check("createCampaign", campaign["createCampaign"]["assessmentCount"] == 1)

# The invited contact signs up (an address other than the contact's would open a claim the
# buyer confirms first: the forwarded-link check).
supplier_token = signup("Tokai Parts KK", contact)
accepted = gql(supplier_token, "mutation($t: String!) { acceptInvitation(token: $t) { status assessmentId } }",
               {"t": invitation_token(contact)})["acceptInvitation"]
check("acceptInvitation links the signed-in organization", accepted["status"] == "LINKED")
assessment = accepted["assessmentId"]

questions = gql(supplier_token, "query($id: UUID!) { assessmentQuestions(id: $id) { no } }",
                {"id": assessment})["assessmentQuestions"]
answers = [{"no": q["no"], "status": "IMPLEMENTED", "comment": "in place"} for q in questions]
saved = gql(supplier_token,
            "mutation($id: UUID!, $i: SaveAnswersInput!) { saveAnswers(assessmentId: $id, input: $i) { version answers { no } } }",
            {"id": assessment, "i": {"answers": answers}})["saveAnswers"]
check("saveAnswers takes REST's {answers: [...]}", len(saved["answers"]) == len(questions))

submitted = gql(supplier_token, "mutation($id: UUID!, $v: Int) { submitAssessment(id: $id, ifMatch: $v) { status } }",
                {"id": assessment, "v": saved["version"]})["submitAssessment"]
check("submitAssessment with ifMatch", submitted["status"] == "SUBMITTED")

reviewed = gql(buyer, "mutation($id: UUID!, $i: ReviewInput!) { reviewAssessment(id: $id, input: $i) { status } }",
               {"id": assessment, "i": {"decision": "ACCEPT", "comment": "Thank you"}})["reviewAssessment"]
check("reviewAssessment", reviewed["status"] == "ACCEPTED")

history = gql(supplier_token,
              "query($id: UUID!) { assessmentHistory(id: $id, first: 200) { nodes { kind } pageInfo { hasNextPage } } }",
              {"id": assessment})["assessmentHistory"]
kinds = [n["kind"] for n in history["nodes"]]
check("the history, paged as a connection", "STATUS_CHANGED" in kinds and "ANSWER_CHANGED" in kinds)

print(f"{passed} passed, 0 failed")
