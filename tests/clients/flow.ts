// The questionnaire flow in TypeScript: types from `openapi-typescript`, calls through
// `openapi-fetch` (docs/integrations.md). Type-checked with `tsc --noEmit`, then run against a
// started kensa-api by tests/clients/contract.sh:
//
//   npx openapi-typescript openapi/openapi.json -o tests/clients/generated/kensa.d.ts
//   KENSA_URL=http://localhost:8080 KENSA_OUTBOX=data/outbox node tests/clients/generated/ts-build/flow.js
//
// A buyer signs up and sends the built-in check sheet to a supplier; the supplier accepts the
// mailed invitation, answers every item with If-Match and submits; the buyer accepts.

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/kensa.js";

type Schemas = components["schemas"];

const BASE = process.env.KENSA_URL ?? "http://localhost:8080";
const OUTBOX = process.env.KENSA_OUTBOX ?? "data/outbox";
let passed = 0;

function step(name: string): void {
  passed += 1;
  console.log(`ok ${passed} ${name}`);
}

/** The body of a call that must succeed; a problem+json answer stops the run. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, status: number): T {
  if (result.response.status !== status || result.data === undefined) {
    throw new Error(`expected ${status}, got ${result.response.status}: ${JSON.stringify(result.error)}`);
  }
  return result.data;
}

/** A client that sends `token` as `Authorization: Bearer`. */
function signedIn(token: string) {
  return createClient<paths>({ baseUrl: BASE, headers: { Authorization: `Bearer ${token}` } });
}

/** The token of the newest `{path}<token>` link mailed to `to` (the worker mails a moment later). */
async function mailToken(to: string, path: string): Promise<string> {
  const link = new RegExp(`${path.replace(/[/]/g, "\\/")}([A-Za-z0-9_-]+)`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const names = readdirSync(OUTBOX, { withFileTypes: true })
      .filter((f) => f.isFile() && f.name.endsWith(".eml"))
      .map((f) => join(OUTBOX, f.name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    for (const name of names) {
      const mail = readFileSync(name, "utf8");
      const found = link.exec(mail);
      if (mail.toLowerCase().includes(`to: ${to}`) && found?.[1]) return found[1];
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail with a ${path} link to ${to} in ${OUTBOX}`);
}

async function main(): Promise<void> {
  const anonymous = createClient<paths>({ baseUrl: BASE });

  const signup: Schemas["SignupRequest"] = {
    organization_name: "Nagoya Motors",
    name: "Kenji Mori",
    email: "mori@nagoya.example",
    password: "correct-Horse-battery-9",
    locale: "ja",
  };
  const session = ok(await anonymous.POST("/api/v1/auth/signup", { body: signup }), 201);
  const buyer = signedIn(session.access_token);
  const me = ok(await buyer.GET("/api/v1/me"), 200);
  const role: Schemas["RoleDto"] = me.role;
  step(`signed up as ${role} of ${me.organization.name}`);

  // The owner follows the link mailed at sign-up: until then the organization mails no one.
  const verified = await anonymous.POST("/api/v1/auth/verify-email/{token}", {
    params: { path: { token: await mailToken("mori@nagoya.example", "/verify/") } },
  });
  if (verified.response.status !== 204) {
    throw new Error(`verify: ${verified.response.status} ${JSON.stringify(verified.error)}`);
  }
  step("verified the owner's address");

  const templates = ok(await buyer.GET("/api/v1/templates", { params: { query: { limit: 10 } } }), 200);
  const builtin = templates.data.find((t) => t.builtin);
  if (!builtin) throw new Error("no built-in template");
  const created = await buyer.POST("/api/v1/suppliers", {
    body: { name: "Hamamatsu Koki", contact_email: "ono@hamamatsu.example", target_level: 1 },
  });
  const supplier = ok(created, 201);
  if (created.response.headers.get("location") !== `/api/v1/suppliers/${supplier.id}`) throw new Error("Location");
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const campaign = ok(
    await buyer.POST("/api/v1/campaigns", {
      body: { name: "FY2026", template_id: builtin.id, due_date: due, supplier_ids: [supplier.id], target_level: 1 },
    }),
    201,
  );
  step(`campaign ${campaign.name} sent to ${supplier.name}`);

  const token = await mailToken("ono@hamamatsu.example", "/invitations/");
  const accepted = await anonymous.POST("/api/v1/invitations/{token}/accept", {
    params: { path: { token } },
    body: { name: "Ono", email: "ono@hamamatsu.example", password: "another-Long-pass-17", organization_name: "Hamamatsu Koki KK" },
  });
  if (accepted.response.status !== 201 || !accepted.data || !("access_token" in accepted.data)) {
    throw new Error(`accept: ${accepted.response.status} ${JSON.stringify(accepted.error)}`);
  }
  const supplierSide = signedIn(accepted.data.access_token);
  const mine = ok(await supplierSide.GET("/api/v1/assessments", { params: { query: { role: "supplier" } } }), 200);
  const assessment = mine.data[0];
  if (!assessment) throw new Error("no assessment for the supplier");
  step("invitation accepted");

  const id = assessment.id;
  const questions = ok(await supplierSide.GET("/api/v1/assessments/{id}/questions", { params: { path: { id } } }), 200);
  const answers: Schemas["BulkAnswer"][] = questions.data.map((q) => ({ no: q.no, status: "implemented" }));
  const saved = await supplierSide.POST("/api/v1/assessments/{id}/answers", {
    params: { path: { id }, header: { "If-Match": `"${assessment.version}"` } },
    body: { answers },
  });
  ok(saved, 200);
  const stale = await supplierSide.POST("/api/v1/assessments/{id}/submit", {
    params: { path: { id }, header: { "If-Match": `"${assessment.version}"` } },
  });
  if (stale.response.status !== 412 || stale.error?.code !== "precondition_failed") throw new Error("stale If-Match");
  const submitted = ok(
    await supplierSide.POST("/api/v1/assessments/{id}/submit", {
      params: { path: { id }, header: { "If-Match": saved.response.headers.get("etag") ?? undefined } },
    }),
    200,
  );
  const status: Schemas["Status"] = submitted.status;
  step(`${answers.length} answers saved with If-Match, ${status}`);

  const review: Schemas["ReviewInput"] = { decision: "accept", comment: "Thank you" };
  const done = ok(await buyer.POST("/api/v1/assessments/{id}/review", { params: { path: { id } }, body: review }), 200);
  const history = ok(
    await buyer.GET("/api/v1/assessments/{id}/history", { params: { path: { id }, query: { limit: 200 } } }),
    200,
  );
  const last = history.data.filter((e) => e.kind === "status_changed").at(-1);
  if (done.status !== "accepted" || last?.new_value !== "accepted") throw new Error("not accepted");
  step("reviewed and accepted; the history says so");

  console.log(`${passed} passed, 0 failed`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
