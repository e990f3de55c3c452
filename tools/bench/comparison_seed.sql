-- Seeds a PostgreSQL Kensa database with a buyer's portfolio for the comparison benchmark
-- (GET /api/v1/comparison at 10,000 suppliers): suppliers, one current assessment each
-- (80 % submitted with a score snapshot and 24 category scores, 20 % in progress), their
-- comparison rows and 80 answers per assessment. Rows go straight into the tables, in the
-- shapes the services write; scores are random, not computed from the answers.
--
--   psql "$DATABASE_URL" -v org=<buyer organization id> -v tmpl=<template id> \
--        -v n=10000 -f tools/bench/comparison_seed.sql
--
-- The organization is one signed up through the API (its owner then reads the comparison);
-- the template is the built-in check sheet (GET /api/v1/templates). About a minute for
-- 10,000 suppliers on the 2-core machine. Once per organization (contact emails are unique).

BEGIN;
INSERT INTO suppliers (id, organization_id, name, contact_email, contact_locale, tier, target_level,
                       review_interval_months, tags, search_text, tag_text, review_status, created_at,
                       updated_at, version)
SELECT gen_random_uuid(), :'org', 'Supplier ' || lpad(g::text, 5, '0'), 's' || g || '@bench.example', 'ja',
       'tier' || (g % 3 + 1), 1 + g % 3, 12, '["ecu"]'::jsonb,
       'supplier ' || lpad(g::text, 5, '0') || ' s' || g || '@bench.example', '|ecu|', 'submitted', now(), now(), 1
FROM generate_series(1, :n) g;

CREATE TEMP TABLE bench_new AS
SELECT gen_random_uuid() AS id, s.id AS supplier_id,
       CASE WHEN random() < 0.8 THEN 'submitted' ELSE 'in_progress' END AS status
FROM suppliers s
WHERE s.organization_id = :'org'
  AND NOT EXISTS (SELECT 1 FROM comparison_rows c WHERE c.supplier_id = s.id);

INSERT INTO assessments (id, buyer_organization_id, supplier_id, template_id, target_level, due_date, status,
                         version, submitted_at, created_at, updated_at)
SELECT b.id, :'org', b.supplier_id, :'tmpl', 1, current_date + (random() * 60)::int - 20, b.status, 1,
       CASE WHEN b.status = 'submitted' THEN now() END, now(), now()
FROM bench_new b;

INSERT INTO comparison_rows (buyer_organization_id, supplier_id, template_id, current_assessment_id,
                             scored_assessment_id)
SELECT :'org', b.supplier_id, :'tmpl', b.id, CASE WHEN b.status = 'submitted' THEN b.id END FROM bench_new b;

INSERT INTO assessment_scores (assessment_id, buyer_organization_id, computed_at, target_level, overall, level1,
                               level2, level3, achieved_level, meets_target, score)
SELECT b.id, :'org', now(), 1, v.overall, v.overall, NULL, NULL, CASE WHEN v.overall = 1 THEN 1 ELSE 0 END,
       v.overall = 1, '{}'::jsonb
FROM bench_new b CROSS JOIN LATERAL (SELECT round(random()::numeric + 0 * length(b.id::text), 3)::float8 AS overall) v
WHERE b.status = 'submitted';

INSERT INTO assessment_category_scores (assessment_id, category, achievement)
SELECT b.id, c, random() FROM bench_new b, generate_series(1, 24) c WHERE b.status = 'submitted';

INSERT INTO answers (id, assessment_id, item_no, status, created_at, updated_at)
SELECT gen_random_uuid(), b.id, n, 'implemented', now(), now() FROM bench_new b, generate_series(1, 80) n;
COMMIT;
ANALYZE;
