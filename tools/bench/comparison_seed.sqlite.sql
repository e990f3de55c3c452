-- The SQLite twin of comparison_seed.sql (see there). Parameters (sqlite3's .parameter):
-- :n suppliers; the buyer is the organization named 'Bench Buyer'. Ids are 16-byte blobs and
-- instants RFC 3339 text, as the application stores them.
BEGIN;
CREATE TEMP TABLE seed AS
  WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :n)
  SELECT randomblob(16) AS supplier_id, randomblob(16) AS assessment_id, n,
         0.3 + (abs(random()) % 700) / 1000.0 AS maturity
  FROM g;
CREATE TEMP TABLE ctx AS
  SELECT (SELECT id FROM organizations WHERE name = 'Bench Buyer') AS org,
         (SELECT id FROM templates WHERE builtin ORDER BY version DESC LIMIT 1) AS template,
         strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 'now') AS now;
INSERT INTO suppliers (id, organization_id, name, contact_name, contact_email, contact_locale, tier,
                       target_level, review_interval_months, tags, search_text, tag_text,
                       supplier_organization_id, review_status, deleted_at, created_at, updated_at, version)
SELECT supplier_id, ctx.org, 'Supplier ' || substr('00000' || n, -5), 'Contact', 'bench-' || n || '@example.com', 'ja',
       CASE WHEN n % 3 = 0 THEN 'tier1' ELSE 'tier2' END, 3, 12,
       CASE WHEN n % 5 = 0 THEN '["critical"]' ELSE '[]' END,
       'supplier ' || substr('00000' || n, -5) || ' bench-' || n || '@example.com',
       CASE WHEN n % 5 = 0 THEN '|critical|' ELSE '||' END,
       NULL, 'submitted', NULL, ctx.now, ctx.now, 1
FROM seed, ctx;
INSERT INTO assessments (id, buyer_organization_id, supplier_id, supplier_organization_id, campaign_id, template_id,
                         target_level, due_date, status, version, submitted_at, accepted_at, cancelled_at,
                         created_at, updated_at)
SELECT assessment_id, ctx.org, supplier_id, NULL, NULL, ctx.template, 3, date('now', ((n % 60) - 20) || ' days'),
       'submitted', 2, strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 'now', '-' || (n % 300) || ' hours'), NULL, NULL,
       ctx.now, ctx.now
FROM seed, ctx;
INSERT INTO answers (assessment_id, item_no, status, comment, reason, remediation_plan, remediation_due,
                     answered_by, created_at, updated_at)
SELECT assessment_id, i,
       CASE WHEN r < maturity THEN 'implemented'
            WHEN r < maturity + (1 - maturity) * 0.5 THEN 'partially_implemented'
            WHEN r < maturity + (1 - maturity) * 0.9 THEN 'not_implemented'
            ELSE 'not_applicable' END,
       NULL, CASE WHEN r >= maturity + (1 - maturity) * 0.9 THEN 'Not used here' END, NULL, NULL, NULL, ctx.now, ctx.now
FROM (
  WITH RECURSIVE items(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM items WHERE i < 153)
  SELECT s.assessment_id, s.maturity, items.i, (abs(random()) % 1000) / 1000.0 AS r FROM seed s, items
), ctx;
UPDATE templates SET in_use = 1 WHERE id = (SELECT template FROM ctx);
COMMIT;
ANALYZE;
