-- 1,000 (:shared) organizations that each shared a submitted assessment of the built-in check
-- sheet with the buyer, as snapshots with 153 frozen answers and the stored score, written in
-- bulk after the back-fill (tools/bench/comparison.sh, SHARED=N). The answers and scores are
-- copies of :shared of the buyer's own seeded assessments, so they are realistic in size, and
-- the buyer's registry record of each copied assessment's supplier is linked to the sharing
-- organization (and tagged `shared`): the registry comparison shows each share beside that
-- supplier's row, and `?tag=shared` pages through rows that all have one.
-- PostgreSQL; psql variables: org (the buyer's organization id), shared.
\set ON_ERROR_STOP on
BEGIN;
SELECT id AS template, owner_key, key FROM templates WHERE builtin ORDER BY version DESC LIMIT 1 \gset
CREATE TEMP TABLE sharers ON COMMIT DROP AS
  SELECT gen_random_uuid() AS org_id, gen_random_uuid() AS share_id, a.id AS source, a.supplier_id,
         row_number() OVER () AS n
  FROM (SELECT DISTINCT ON (supplier_id) id, supplier_id FROM assessments WHERE buyer_organization_id = :'org'
        ORDER BY supplier_id, random() LIMIT :shared) a;
INSERT INTO organizations (id, name, created_at, verified_at)
SELECT org_id, 'Sharing Supplier ' || lpad(n::text, 5, '0'), now(), now() FROM sharers;
INSERT INTO shares (id, organization_id, kind, assessment_id, template_id, line_owner_key, line_key,
                    recipient_organization_id, scope, submitted_at, content, score, created_at, expires_at)
SELECT s.share_id, s.org_id, 'snapshot', NULL, :'template', :'owner_key', :'key', :'org', 'answers',
       a.submitted_at,
       json_build_object('target_level', a.target_level, 'submitted_at', a.submitted_at, 'answers',
         (SELECT json_agg(json_build_object('no', x.item_no, 'status', x.status, 'comment', x.comment,
                 'reason', x.reason, 'remediation_plan', x.remediation_plan, 'remediation_due', x.remediation_due,
                 'updated_at', x.updated_at) ORDER BY x.item_no)
          FROM answers x WHERE x.assessment_id = a.id)),
       sc.score, now() - (s.n % 100) * interval '1 hour', now() + interval '300 days'
FROM sharers s JOIN assessments a ON a.id = s.source JOIN assessment_scores sc ON sc.assessment_id = a.id;
UPDATE suppliers SET supplier_organization_id = s.org_id, tags = '["shared"]', tag_text = '|shared|'
FROM sharers s WHERE suppliers.id = s.supplier_id;
COMMIT;
ANALYZE;
