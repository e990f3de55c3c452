-- The due-scan benchmark's data (see due_scan.sh): :n suppliers of the buyer 'Bench Buyer',
-- each with one open assessment ('sent') whose next reminder date is today plus (n mod
-- :spread) days (:spread 1: all due today), due 7 days after it. Ids are 16-byte blobs,
-- dates 'YYYY-MM-DD' and instants RFC 3339 text, as the application stores them.
BEGIN;
CREATE TEMP TABLE seed AS
  WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :n)
  SELECT randomblob(16) AS supplier_id, randomblob(16) AS assessment_id, n FROM g;
CREATE TEMP TABLE ctx AS
  SELECT (SELECT id FROM organizations WHERE name = 'Bench Buyer') AS org,
         (SELECT id FROM templates WHERE builtin ORDER BY version DESC LIMIT 1) AS template,
         strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 'now', '-1 day') AS now;
INSERT INTO suppliers (id, organization_id, name, contact_name, contact_email, contact_locale, tier,
                       target_level, review_interval_months, tags, search_text, tag_text,
                       supplier_organization_id, review_status, deleted_at, created_at, updated_at, version)
SELECT supplier_id, ctx.org, 'Supplier ' || substr('000000' || n, -6), 'Contact', 'bench-' || n || '@example.com', 'ja',
       'tier2', 1, 12, '[]', 'supplier ' || n, '||', NULL, 'sent', NULL, ctx.now, ctx.now, 1
FROM seed, ctx;
INSERT INTO assessments (id, buyer_organization_id, supplier_id, supplier_organization_id, campaign_id, template_id,
                         target_level, due_date, status, version, submitted_at, accepted_at, cancelled_at,
                         created_at, updated_at, next_chase_on, last_reminder, escalates_on, escalated_at,
                         remediation_next_on, follows_assessment_id)
SELECT assessment_id, ctx.org, supplier_id, NULL, NULL, ctx.template, 1,
       date('now', ((n % :spread) + 7) || ' days'), 'sent', 1, NULL, NULL, NULL, ctx.now, ctx.now,
       date('now', (n % :spread) || ' days'), NULL, date('now', ((n % :spread) + 21) || ' days'), NULL, NULL, NULL
FROM seed, ctx;
UPDATE templates SET in_use = 1 WHERE id = (SELECT template FROM ctx);
COMMIT;
ANALYZE;
