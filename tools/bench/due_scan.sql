-- The due-scan benchmark's data (see due_scan.sh and its SQLite twin): :n suppliers of the
-- buyer, each with one open assessment whose next reminder date is today plus (n mod
-- :spread) days (:spread 1: all due today), due 7 days after it.
-- PostgreSQL; psql variables: org (the buyer's organization id), n, spread.
\set ON_ERROR_STOP on
BEGIN;
SELECT id AS template FROM templates WHERE builtin ORDER BY version DESC LIMIT 1 \gset
CREATE TEMP TABLE seed ON COMMIT DROP AS
  SELECT gen_random_uuid() AS supplier_id, gen_random_uuid() AS assessment_id, g AS n
  FROM generate_series(1, :n) AS g;
INSERT INTO suppliers (id, organization_id, name, contact_name, contact_email, contact_locale, tier,
                       target_level, review_interval_months, tags, search_text, tag_text,
                       supplier_organization_id, review_status, deleted_at, created_at, updated_at, version)
SELECT supplier_id, :'org', 'Supplier ' || lpad(n::text, 6, '0'), 'Contact', 'bench-' || n || '@example.com', 'ja',
       'tier2', 1, 12, '[]'::jsonb, 'supplier ' || n, '||', NULL, 'sent', NULL, now() - interval '1 day',
       now() - interval '1 day', 1
FROM seed;
INSERT INTO assessments (id, buyer_organization_id, supplier_id, supplier_organization_id, campaign_id, template_id,
                         target_level, due_date, status, version, submitted_at, accepted_at, cancelled_at,
                         created_at, updated_at, next_chase_on, last_reminder, escalates_on, escalated_at,
                         remediation_next_on, follows_assessment_id)
SELECT assessment_id, :'org', supplier_id, NULL, NULL, :'template', 1, current_date + (n % :spread) + 7, 'sent', 1,
       NULL, NULL, NULL, now() - interval '1 day', now() - interval '1 day', current_date + (n % :spread), NULL,
       current_date + (n % :spread) + 21, NULL, NULL, NULL
FROM seed;
UPDATE templates SET in_use = true WHERE id = :'template';
COMMIT;
ANALYZE;
