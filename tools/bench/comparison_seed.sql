-- One buyer with :n suppliers, each with one submitted assessment of the built-in check
-- sheet at target level 3 with all 153 items answered (:n × 153 answers), written in bulk
-- (not through the API). Kensa's start-up back-fill then stores each score snapshot and
-- comparison row, the way data from before snapshots existed is brought up to date.
-- PostgreSQL; psql variables: org (the buyer's organization id), n.
\set ON_ERROR_STOP on
BEGIN;
SELECT id AS template FROM templates WHERE builtin ORDER BY version DESC LIMIT 1 \gset
CREATE TEMP TABLE seed ON COMMIT DROP AS
  SELECT gen_random_uuid() AS supplier_id, gen_random_uuid() AS assessment_id, g AS n,
         0.3 + random() * 0.7 AS maturity
  FROM generate_series(1, :n) AS g;
INSERT INTO suppliers (id, organization_id, name, contact_name, contact_email, contact_locale, tier,
                       target_level, review_interval_months, tags, search_text, tag_text,
                       supplier_organization_id, review_status, deleted_at, created_at, updated_at, version)
SELECT supplier_id, :'org', 'Supplier ' || lpad(n::text, 5, '0'), 'Contact', 'bench-' || n || '@example.com', 'ja',
       CASE WHEN n % 3 = 0 THEN 'tier1' ELSE 'tier2' END, 3, 12,
       CASE WHEN n % 5 = 0 THEN '["critical"]'::jsonb ELSE '[]'::jsonb END,
       'supplier ' || lpad(n::text, 5, '0') || ' bench-' || n || '@example.com',
       CASE WHEN n % 5 = 0 THEN '|critical|' ELSE '||' END,
       NULL, 'submitted', NULL, now(), now(), 1
FROM seed;
INSERT INTO assessments (id, buyer_organization_id, supplier_id, supplier_organization_id, campaign_id, template_id,
                         target_level, due_date, status, version, submitted_at, accepted_at, cancelled_at,
                         created_at, updated_at)
SELECT assessment_id, :'org', supplier_id, NULL, NULL, :'template', 3, current_date + (n % 60) - 20, 'submitted', 2,
       now() - (n % 300) * interval '1 hour', NULL, NULL, now() - interval '30 days', now()
FROM seed;
-- Each item: implemented with the supplier's maturity, else partially, not implemented or N/A.
INSERT INTO answers (assessment_id, item_no, status, comment, reason, remediation_plan, remediation_due,
                     answered_by, created_at, updated_at)
SELECT s.assessment_id, i,
       CASE WHEN r < s.maturity THEN 'implemented'
            WHEN r < s.maturity + (1 - s.maturity) * 0.5 THEN 'partially_implemented'
            WHEN r < s.maturity + (1 - s.maturity) * 0.9 THEN 'not_implemented'
            ELSE 'not_applicable' END,
       NULL, CASE WHEN r >= s.maturity + (1 - s.maturity) * 0.9 THEN 'Not used here' END, NULL, NULL, NULL, now(), now()
FROM seed s CROSS JOIN LATERAL (SELECT i, random() AS r FROM generate_series(1, 153) AS i) AS items;
UPDATE templates SET in_use = true WHERE id = :'template';
COMMIT;
ANALYZE;
