-- 002: what the classifier and router decided for each case (issue 3,
-- R10-R15), with the rules version that decided it (invariant 6).

ALTER TABLE cases
    ADD COLUMN category      text,
    ADD COLUMN severity      text,
    ADD COLUMN tags          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN department    text,
    ADD COLUMN assignee      text,
    ADD COLUMN inform        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN rules_version text,
    ADD COLUMN matched_rules jsonb  NOT NULL DEFAULT '[]';
CREATE INDEX cases_assignee_open_idx ON cases (assignee) WHERE status <> 'closed';
CREATE INDEX cases_category_idx ON cases (category);

DROP FUNCTION pl_submit(jsonb, text, integer, text);

-- Stores one validated event with its decision (see daemon/store.c):
--   {"kind","category","severity","tags":[],"department","assignee",
--    "candidates":[],"strategy","inform":[],"rule","rules_version",
--    "matched_rules":[]}
-- For strategy least_loaded the assignee is the candidate with the fewest
-- open cases (ties: the first in the list).
CREATE FUNCTION pl_submit(ev jsonb, decision jsonb, case_tpl text, seq_width integer, tz text,
                          OUT case_no text, OUT duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_source   text        := ev->>'source';
    v_event_id text        := ev->>'event_id';
    v_at       timestamptz := (ev->>'received_at')::timestamptz;
    v_year     integer     := extract(year FROM v_at AT TIME ZONE tz)::integer;
    v_assignee text        := decision->>'assignee';
    v_seq      bigint;
    v_seq_text text;
    v_id       bigint;
BEGIN
    SELECT c.case_no INTO case_no
      FROM cases c WHERE c.source = v_source AND c.event_id = v_event_id;
    IF FOUND THEN
        duplicate := true;
        RETURN;
    END IF;

    IF v_assignee IS NULL AND decision->>'strategy' = 'least_loaded'
       AND jsonb_array_length(coalesce(decision->'candidates', '[]')) > 0 THEN
        SELECT cand.person INTO v_assignee
          FROM jsonb_array_elements_text(decision->'candidates') WITH ORDINALITY
               AS cand(person, pos)
         ORDER BY (SELECT count(*) FROM cases o
                    WHERE o.assignee = cand.person AND o.status <> 'closed'),
                  cand.pos
         LIMIT 1;
    END IF;

    INSERT INTO case_counters AS cc (year, last_seq) VALUES (v_year, 1)
        ON CONFLICT (year) DO UPDATE SET last_seq = cc.last_seq + 1
        RETURNING cc.last_seq INTO v_seq;
    v_seq_text := v_seq::text;
    IF length(v_seq_text) < seq_width THEN
        v_seq_text := lpad(v_seq_text, seq_width, '0');
    END IF;
    case_no := replace(replace(case_tpl, '{year}', v_year::text), '{seq}', v_seq_text);

    INSERT INTO cases (case_no, source, event_id, kind, channel, received_at,
                       customer_name, customer_phone, customer_address, content,
                       product_spec, order_no, order_quantity, ship_date,
                       region, attributes, event,
                       category, severity, tags, department, assignee, inform,
                       rules_version, matched_rules)
    VALUES (case_no, v_source, v_event_id,
            coalesce(decision->>'kind', ev->>'kind'), ev->>'channel', v_at,
            ev->'customer'->>'name', ev->'customer'->>'phone', ev->'customer'->>'address',
            ev->>'content',
            ev->'product'->>'spec', ev->'product'->>'order_no',
            (ev->'product'->>'quantity')::bigint, (ev->'product'->>'ship_date')::date,
            ev->>'region', coalesce(ev->'attributes', '{}'), ev,
            decision->>'category', decision->>'severity',
            ARRAY(SELECT jsonb_array_elements_text(coalesce(decision->'tags', '[]')))::text[],
            decision->>'department', v_assignee,
            ARRAY(SELECT jsonb_array_elements_text(coalesce(decision->'inform', '[]')))::text[],
            decision->>'rules_version', coalesce(decision->'matched_rules', '[]'))
    ON CONFLICT (source, event_id) DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NULL THEN
        SELECT c.case_no INTO case_no
          FROM cases c WHERE c.source = v_source AND c.event_id = v_event_id;
        duplicate := true;
        RETURN;
    END IF;

    INSERT INTO case_history (case_id, actor, type, detail)
    VALUES (v_id, 'source:' || v_source, 'registered',
            jsonb_build_object('kind', ev->>'kind', 'channel', ev->>'channel',
                               'event_id', v_event_id));
    IF decision->>'category' IS NOT NULL THEN
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (v_id, 'classifier', 'classified',
                jsonb_build_object('kind', decision->'kind', 'category', decision->'category',
                                   'severity', decision->'severity', 'tags', decision->'tags',
                                   'rules_version', decision->'rules_version',
                                   'matched_rules', decision->'matched_rules'));
    END IF;
    IF decision->>'department' IS NOT NULL THEN
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (v_id, 'router', 'routed',
                jsonb_build_object('department', decision->'department',
                                   'assignee', v_assignee,
                                   'strategy', decision->'strategy',
                                   'inform', decision->'inform',
                                   'rule', decision->'rule',
                                   'rules_version', decision->'rules_version'));
    END IF;
    duplicate := false;
END $$;

CREATE OR REPLACE FUNCTION pl_case_json(p_case_no text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT c.event
           || jsonb_build_object(
                'case_no', c.case_no,
                'kind', c.kind,
                'status', c.status,
                'received_at', pl_rfc3339(c.received_at),
                'created_at', pl_rfc3339(c.created_at),
                'updated_at', pl_rfc3339(c.updated_at),
                'category', c.category,
                'severity', c.severity,
                'tags', to_jsonb(c.tags),
                'department', c.department,
                'assignee', c.assignee,
                'inform', to_jsonb(c.inform),
                'rules_version', c.rules_version,
                'matched_rules', c.matched_rules,
                'history', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('at', pl_rfc3339(h.at),
                                                         'actor', h.actor,
                                                         'type', h.type,
                                                         'detail', h.detail)
                                      ORDER BY h.id)
                       FROM case_history h WHERE h.case_id = c.id),
                    '[]'::jsonb))
      FROM cases c
     WHERE c.case_no = p_case_no
$$;
