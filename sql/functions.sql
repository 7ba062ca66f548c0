-- The functions of the schema, applied by plaintd at every start after the
-- numbered migrations, in one transaction under the migration lock, so this
-- file is always the one truth about them (see sql/README.md). Everything
-- here must be CREATE OR REPLACE; a change of a function's arguments or
-- result type needs a numbered migration that drops the old one first.

-- RFC 3339 in UTC with microseconds, as the protocol prints times.
CREATE OR REPLACE FUNCTION pl_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- When the timer must look at a deadline next, from its state.
CREATE OR REPLACE FUNCTION pl_deadline_next_fire(d deadlines) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN d.paused_at IS NOT NULL THEN NULL
        WHEN d.status = 'pending' THEN
            CASE WHEN d.warned < cardinality(d.warn_at)
                      AND d.warn_at[d.warned + 1] < d.due_at
                 THEN d.warn_at[d.warned + 1]
                 ELSE d.due_at END
        WHEN d.status = 'breached' AND d.level < jsonb_array_length(d.chain) THEN
            d.level_at + make_interval(secs => coalesce((d.chain->d.level->>'after_s')::double precision, 0))
        ELSE NULL
    END
$$;

-- Adds one notification unless its key was used; returns its id or NULL.
CREATE OR REPLACE FUNCTION pl_notify(p_topic text, p_case_id bigint, p_key text, p_payload jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO outbox (topic, case_id, idempotency_key, payload)
    VALUES (p_topic, p_case_id, p_key, p_payload)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION pl_add_deadlines(p_case_id bigint, p_deadlines jsonb,
                                            p_rules_version text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deadlines (case_id, name, label, calendar, clock, due_at, warn_at, warn_pct,
                           every, until_status, met_by, pausable, chain, rules_version,
                           next_fire_at)
    SELECT p_case_id, d.name, d.label, d.calendar, d.clock, d.due_at, w.warn_at,
           ARRAY(SELECT x::integer FROM jsonb_array_elements_text(coalesce(j->'warn_pct', '[]')) x),
           CASE WHEN coalesce(d.every_s, 0) > 0 THEN make_interval(secs => d.every_s) END,
           d."until",
           ARRAY(SELECT jsonb_array_elements_text(coalesce(j->'met_by', '[]'))),
           coalesce(d.pausable, false), coalesce(j->'chain', '[]'), p_rules_version,
           CASE WHEN cardinality(w.warn_at) > 0 AND w.warn_at[1] < d.due_at
                THEN w.warn_at[1] ELSE d.due_at END
      FROM jsonb_array_elements(coalesce(p_deadlines, '[]')) AS j,
           jsonb_to_record(j) AS d(name text, label text, calendar text, clock text,
                                   due_at timestamptz,
                                   every_s double precision, "until" text, pausable boolean),
           LATERAL (SELECT ARRAY(SELECT x::timestamptz
                                   FROM jsonb_array_elements_text(coalesce(j->'warn_at', '[]')) x
                                  ORDER BY 1) AS warn_at) w
    ON CONFLICT (case_id, name) DO NOTHING;
END $$;

-- Stores one validated, normalized event (docs/events.md) with its decision
-- (the classifier's, router's and escalation worker's result: kind,
-- category, severity, tags, department, assignee, strategy, candidates,
-- inform, rule, rules_version, matched_rules, deadlines) unless its
-- (source, event_id) is known. case_tpl holds {year} and {seq}; seq_width
-- pads the serial; tz names the zone whose local year numbers the case.
-- least_loaded picks the candidate with the fewest open cases. Returns the
-- earliest next_fire_at of the new deadlines for the daemon's timer.
CREATE OR REPLACE FUNCTION pl_submit(ev jsonb, decision jsonb, case_tpl text, seq_width integer, tz text,
                          OUT case_no text, OUT duplicate boolean, OUT next_fire_at timestamptz)
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
        IF jsonb_array_length(decision->'candidates') = 1 THEN
            v_assignee := decision->'candidates'->>0;
        ELSE
            SELECT cand.person INTO v_assignee
              FROM jsonb_array_elements_text(decision->'candidates') WITH ORDINALITY
                   AS cand(person, pos)
              LEFT JOIN assignee_load l ON l.person = cand.person
             ORDER BY coalesce(l.open_cases, 0), cand.pos
             LIMIT 1;
        END IF;
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

    IF v_assignee IS NOT NULL THEN
        INSERT INTO assignee_load AS l (person, open_cases) VALUES (v_assignee, 1)
            ON CONFLICT (person) DO UPDATE SET open_cases = l.open_cases + 1;
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
    IF jsonb_array_length(coalesce(decision->'deadlines', '[]')) > 0 THEN
        PERFORM pl_add_deadlines(v_id, decision->'deadlines', decision->>'rules_version');
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (v_id, 'escalation', 'deadlines_set',
                jsonb_build_object('deadlines',
                    (SELECT jsonb_agg(jsonb_build_object(
                                          'name', j->'name',
                                          'due_at', pl_rfc3339((j->>'due_at')::timestamptz))
                                      ORDER BY (j->>'due_at')::timestamptz)
                       FROM jsonb_array_elements(decision->'deadlines') j),
                    'rules_version', decision->'rules_version'));
        SELECT min(d.next_fire_at) INTO next_fire_at FROM deadlines d WHERE d.case_id = v_id;
    END IF;
    PERFORM pl_notify('case.created', v_id, case_no || '/created',
                      jsonb_build_object('case_no', case_no,
                                         'kind', coalesce(decision->>'kind', ev->>'kind'),
                                         'channel', ev->>'channel',
                                         'category', decision->'category',
                                         'severity', decision->'severity',
                                         'department', decision->'department',
                                         'assignee', v_assignee,
                                         'region', ev->>'region',
                                         'inform', decision->'inform'));
    duplicate := false;
END $$;

-- Fires every due step of at most p_limit deadlines whose next_fire_at has
-- come: a warning, the breach (level 1 of the chain), or the next level.
-- Returns the notifications written and the rows' new next_fire_at.
CREATE OR REPLACE FUNCTION pl_fire_due(p_now timestamptz, p_limit integer)
RETURNS TABLE (outbox_id bigint, topic text, payload jsonb, next_fire_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    d       deadlines;
    v_case  text;
    v_kind  text;
    v_to    jsonb;
    v_key   text;
    v_next  timestamptz;
    v_base  jsonb;
    v_ctx   jsonb;
BEGIN
    FOR d IN
        SELECT * FROM deadlines x
         WHERE x.next_fire_at <= p_now
         ORDER BY x.next_fire_at
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    LOOP
        -- The case's context rides along for the notifier's templates and
        -- for narrowing a role to the case's region or assignee.
        SELECT c.case_no,
               jsonb_strip_nulls(jsonb_build_object('kind', c.kind, 'category', c.category,
                                                    'severity', c.severity,
                                                    'department', c.department,
                                                    'assignee', c.assignee, 'region', c.region))
          INTO v_case, v_ctx
          FROM cases c WHERE c.id = d.case_id;
        v_key := v_case || '/' || d.name || '/' ||
                 extract(epoch FROM d.due_at)::bigint::text;
        v_base := jsonb_build_object('case_no', v_case, 'deadline', d.name,
                                     'label', d.label, 'due_at', pl_rfc3339(d.due_at));
        IF d.status = 'pending' AND d.due_at > p_now THEN
            -- A warning before the breach.
            d.warned := d.warned + 1;
            v_kind := 'deadline.warning';
            outbox_id := pl_notify(v_kind, d.case_id, v_key || '/warning/' || d.warned,
                                   v_ctx || v_base || jsonb_build_object('warning', d.warned));
            INSERT INTO case_history (case_id, actor, type, detail)
            VALUES (d.case_id, 'escalation', 'deadline_warning',
                    v_base - 'case_no' || jsonb_build_object('warning', d.warned));
        ELSIF d.status = 'pending' THEN
            -- The breach: level 1 of the chain is told at once.
            d.status := 'breached';
            d.level := 1;
            d.level_at := p_now;
            v_to := coalesce(d.chain->0->'to', '[]');
            v_kind := 'deadline.breached';
            outbox_id := pl_notify(v_kind, d.case_id, v_key || '/breached/1',
                                   v_ctx || v_base || jsonb_build_object('level', 1, 'to', v_to));
            INSERT INTO case_history (case_id, actor, type, detail)
            VALUES (d.case_id, 'escalation', 'deadline_breached',
                    v_base - 'case_no' || jsonb_build_object('level', 1, 'to', v_to));
        ELSE
            -- The next level of a breached deadline.
            d.level := d.level + 1;
            d.level_at := p_now;
            v_to := coalesce(d.chain->(d.level - 1)->'to', '[]');
            v_kind := 'case.escalated';
            outbox_id := pl_notify(v_kind, d.case_id, v_key || '/escalated/' || d.level,
                                   v_ctx || v_base || jsonb_build_object('level', d.level, 'to', v_to));
            INSERT INTO case_history (case_id, actor, type, detail)
            VALUES (d.case_id, 'escalation', 'escalated',
                    v_base - 'case_no' || jsonb_build_object('level', d.level, 'to', v_to));
        END IF;
        v_next := pl_deadline_next_fire(d);
        UPDATE deadlines
           SET warned = d.warned, status = d.status, level = d.level, level_at = d.level_at,
               next_fire_at = v_next
         WHERE id = d.id;
        topic := v_kind;
        SELECT o.payload INTO payload FROM outbox o WHERE o.id = outbox_id;
        next_fire_at := v_next;
        RETURN NEXT;
    END LOOP;
END $$;

-- An operation on a case that may meet deadlines (note, visit, reply,
-- report, close). Returns the case number, its status, the deadlines met,
-- re-armed and cancelled, and the earliest next_fire_at left; NULL when
-- there is no such case, and {"refused": true} for a closed case, which
-- takes no more operations (close included).
-- Pauses or resumes the clocks of a case's pausable deadlines (the case
-- waits on the customer). pause: {"reason"}; every pending pausable
-- deadline stops (paused_at, no timer). resume: {"due": {"NAME": usec}}
-- holds the new due instant of each paused deadline, computed by the daemon
-- in the deadline's calendar (pl_deadline_extend); one it lacks gets the
-- paused real time added. Warnings move with the due instant. A case that
-- is (not) paused refuses pause (resume).
CREATE OR REPLACE FUNCTION pl_case_pause(c cases, p_op text, p_actor text, p_detail jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    d       deadlines;
    v_now   timestamptz := now();
    v_list  jsonb := '[]';
    v_due   timestamptz;
BEGIN
    IF p_op = 'pause' AND c.paused_at IS NOT NULL THEN
        RETURN pl_case_refusal(c, 'invalid_state', 'status',
                   format('case %s is already paused (since %s); resume it first', c.case_no,
                          pl_rfc3339(c.paused_at)));
    ELSIF p_op = 'resume' AND c.paused_at IS NULL THEN
        RETURN pl_case_refusal(c, 'invalid_state', 'status',
                               format('case %s is not paused', c.case_no));
    END IF;
    IF p_op = 'pause' THEN
        FOR d IN SELECT * FROM deadlines
                  WHERE case_id = c.id AND status = 'pending' AND pausable
                    AND paused_at IS NULL
                  ORDER BY id FOR UPDATE
        LOOP
            d.paused_at := v_now;
            UPDATE deadlines SET paused_at = v_now, next_fire_at = pl_deadline_next_fire(d)
             WHERE id = d.id;
            v_list := v_list || to_jsonb(d.name);
        END LOOP;
        UPDATE cases SET paused_at = v_now, paused_reason = p_detail->>'reason',
                         updated_at = v_now
         WHERE id = c.id;
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (c.id, p_actor, 'paused',
                jsonb_build_object('reason', p_detail->'reason', 'deadlines', v_list));
    ELSE
        FOR d IN SELECT * FROM deadlines
                  WHERE case_id = c.id AND paused_at IS NOT NULL
                    AND status IN ('pending', 'breached')
                  ORDER BY id FOR UPDATE
        LOOP
            -- The daemon's due instant holds only for the pause it was
            -- computed for (another resume and pause may have come between).
            v_due := CASE WHEN (p_detail->'paused'->>d.name)::bigint
                               = (extract(epoch FROM d.paused_at) * 1000000)::bigint
                          THEN to_timestamp((p_detail->'due'->>d.name)::double precision / 1000000)
                     END;
            v_due := coalesce(v_due, d.due_at + (v_now - d.paused_at));
            d.warn_at := ARRAY(SELECT w + (v_due - d.due_at) FROM unnest(d.warn_at) w ORDER BY 1);
            d.due_at := v_due;
            d.paused_at := NULL;
            UPDATE deadlines SET due_at = d.due_at, warn_at = d.warn_at, paused_at = NULL,
                                 next_fire_at = pl_deadline_next_fire(d)
             WHERE id = d.id;
            v_list := v_list || jsonb_build_object('name', d.name, 'due_at', pl_rfc3339(v_due));
        END LOOP;
        UPDATE cases SET paused_at = NULL, paused_reason = NULL, updated_at = v_now
         WHERE id = c.id;
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (c.id, p_actor, 'resumed',
                jsonb_build_object('paused_at', pl_rfc3339(c.paused_at), 'deadlines', v_list));
    END IF;
    RETURN jsonb_build_object(
        'case_no', c.case_no, 'status', c.status, 'paused', p_op = 'pause',
        CASE WHEN p_op = 'pause' THEN 'paused_deadlines' ELSE 'resumed' END, v_list,
        'next_fire_at', (SELECT pl_rfc3339(min(x.next_fire_at)) FROM deadlines x
                          WHERE x.case_id = c.id));
END $$;

-- What the approval plan of a proposal depends on (daemon/case_ops.c).
CREATE OR REPLACE FUNCTION pl_case_brief(p_case_no text)
RETURNS TABLE (kind text, category text, severity text, responsibility text)
LANGUAGE sql STABLE AS $$
    SELECT c.kind, c.category, c.severity, c.responsibility FROM cases c
     WHERE c.case_no = p_case_no
$$;

-- The paused deadlines of a case, for the daemon to compute their new due
-- instants on resume: name, clock, calendar, due and paused_at in usec.
CREATE OR REPLACE FUNCTION pl_paused_deadlines(p_case_no text)
RETURNS TABLE (name text, clock text, calendar text, due_us bigint, paused_us bigint)
LANGUAGE sql STABLE AS $$
    SELECT d.name, d.clock, d.calendar,
           (extract(epoch FROM d.due_at) * 1000000)::bigint,
           (extract(epoch FROM d.paused_at) * 1000000)::bigint
      FROM deadlines d JOIN cases c ON c.id = d.case_id
     WHERE c.case_no = p_case_no AND d.paused_at IS NOT NULL
     ORDER BY d.id
$$;

-- ---- the case lifecycle (issue 5; docs/lifecycle.md) ----------------------

-- The operations allowed in a status, in a fixed order: the one definition
-- of the transitions' sources (pl_case_op gives their targets).
CREATE OR REPLACE FUNCTION pl_case_allowed(p_status text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    WITH s(open) AS (
        SELECT ARRAY['registered', 'confirmed', 'assigned', 'investigating',
                     'resolution_proposed', 'approved', 'replied', 'followup']
    )
    SELECT coalesce(array_agg(t.op ORDER BY t.ord), '{}')
      FROM s, LATERAL (VALUES
           (1,  'confirm',  ARRAY['registered']),
           (2,  'assign',   ARRAY['confirmed', 'assigned', 'investigating']),
           (3,  'note',     s.open),
           (4,  'report',   s.open),
           (5,  'visit',    ARRAY['assigned', 'investigating']),
           (6,  'analyse',  ARRAY['assigned', 'investigating']),
           (7,  'propose',  ARRAY['investigating', 'resolution_proposed']),
           (8,  'approve',  ARRAY['resolution_proposed']),
           (9,  'reject',   ARRAY['resolution_proposed']),
           (10, 'reply',    ARRAY['approved']),
           (11, 'followup', ARRAY['replied']),
           (12, 'close',    s.open),
           (13, 'reopen',   ARRAY['closed']),
           (14, 'capa',     s.open[2:] || ARRAY['closed']),
           (15, 'remark',   s.open || ARRAY['closed']),
           (16, 'pause',    s.open),
           (17, 'resume',   s.open)) AS t(ord, op, states)
     WHERE p_status = ANY (t.states)
$$;

-- A refusal: {"refused": true, "code", "field", "message", "status", "allowed"}.
CREATE OR REPLACE FUNCTION pl_case_refusal(c cases, p_code text, p_field text, p_message text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('case_no', c.case_no, 'refused', true, 'code', p_code,
                              'field', p_field, 'message', p_message, 'status', c.status,
                              'allowed', to_jsonb(pl_case_allowed(c.status)))
$$;

-- Cancels a case's deadline `p_name` if it is still running; returns
-- ["name"] when it was, [] otherwise.
CREATE OR REPLACE FUNCTION pl_deadline_cancel(p_case_id bigint, p_name text)
RETURNS jsonb LANGUAGE sql AS $$
    WITH c AS (
        UPDATE deadlines SET status = 'cancelled', next_fire_at = NULL, paused_at = NULL
         WHERE case_id = p_case_id AND name = p_name AND status IN ('pending', 'breached')
        RETURNING name
    )
    SELECT coalesce(jsonb_agg(to_jsonb(c.name)), '[]') FROM c
$$;

-- Moves one person's open-case count (assignee_load) by p_delta.
CREATE OR REPLACE FUNCTION pl_load_move(p_person text, p_delta integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO assignee_load AS l (person, open_cases)
    SELECT p_person, greatest(p_delta, 0) WHERE p_person IS NOT NULL
    ON CONFLICT (person) DO UPDATE SET open_cases = greatest(l.open_cases + p_delta, 0)
$$;

-- Runs one operation on a case (docs/lifecycle.md, docs/protocol.md): locks
-- the case, checks the transition, changes the case, writes the history
-- row, meets, re-arms or cancels deadlines; all in the caller's
-- transaction. p_detail holds the request's fields and what the daemon
-- adds from the configuration: "rearm" (the next due instants of recurring
-- deadlines counted in working time, pl_rules_rearm), "actor_roles"
-- (approve, reject),
-- "plan" and "plan_for" (propose: the approval plan, pl_lifecycle_plan,
-- and the responsibility it was made for),
-- "escalate" (followup: {"role", "people": [{"id", "region"}]}).
-- Returns the outcome, a refusal (pl_case_refusal), or NULL when there is
-- no such case.
CREATE OR REPLACE FUNCTION pl_case_op(p_case_no text, p_op text, p_actor text, p_detail jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c        cases;
    d        deadlines;
    a        approvals;
    v_now    timestamptz := now();
    v_new    text;
    v_detail jsonb := coalesce(p_detail, '{}');
    v_extra  jsonb := '{}';
    v_met    jsonb := '[]';
    v_rearm  jsonb := '[]';
    v_cancel jsonb := '[]';
    v_rule   jsonb;
    v_level  jsonb;
    v_n      integer;
    v_person text;
    v_dept   text;
BEGIN
    -- FOR NO KEY UPDATE: the escalation timer's history rows (foreign keys
    -- to cases) take KEY SHARE on this row while holding deadline rows; a
    -- full FOR UPDATE here would deadlock with them.
    SELECT * INTO c FROM cases WHERE case_no = p_case_no FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF NOT (p_op = ANY (pl_case_allowed(c.status))) THEN
        RETURN pl_case_refusal(c, 'invalid_state', 'status',
                   format('case %s is %s; %s is not allowed now (allowed: %s)', c.case_no,
                          c.status, p_op, array_to_string(pl_case_allowed(c.status), ', ')));
    END IF;
    IF p_op IN ('pause', 'resume') THEN
        RETURN pl_case_pause(c, p_op, p_actor, v_detail);
    END IF;
    v_new := c.status;

    CASE p_op
    WHEN 'confirm' THEN
        v_new := CASE WHEN c.assignee IS NOT NULL THEN 'assigned' ELSE 'confirmed' END;

    WHEN 'assign' THEN
        IF c.assignee IS DISTINCT FROM v_detail->>'assignee' THEN
            PERFORM pl_load_move(c.assignee, -1);
            PERFORM pl_load_move(v_detail->>'assignee', 1);
        END IF;
        UPDATE cases SET assignee = v_detail->>'assignee',
                         department = coalesce(v_detail->>'department', department)
         WHERE id = c.id;
        IF c.status IN ('confirmed', 'assigned') THEN
            v_new := 'assigned';
        END IF;
        v_extra := jsonb_build_object('assignee', v_detail->'assignee',
                                      'department', coalesce(v_detail->>'department', c.department));

    WHEN 'visit' THEN
        UPDATE cases SET responsibility = v_detail->>'responsibility' WHERE id = c.id;
        c.responsibility := v_detail->>'responsibility';
        v_new := 'investigating';

    WHEN 'analyse' THEN
        UPDATE cases SET cause = v_detail->>'cause',
                         responsibility = v_detail->>'responsibility'
         WHERE id = c.id;
        v_new := 'investigating';

    WHEN 'propose' THEN
        IF c.responsibility IS NULL THEN
            RETURN pl_case_refusal(c, 'invalid_state', 'responsibility',
                       format('case %s has no responsibility yet: record a visit or an analysis '
                              'first (quality, misuse or other; R11, R16)', c.case_no));
        END IF;
        -- The plan (pl_lifecycle_plan) was made for the responsibility the
        -- daemon read a moment ago; an analysis in between changes it.
        IF v_detail->>'plan_for' IS DISTINCT FROM c.responsibility THEN
            RETURN pl_case_refusal(c, 'conflict', 'responsibility',
                       format('the responsibility of case %s changed while the proposal was '
                              'being prepared; propose again', c.case_no));
        END IF;
        v_rule := v_detail->'plan';
        UPDATE approvals SET status = 'superseded'
         WHERE case_id = c.id AND status = 'pending';
        SELECT coalesce(max(proposal), 0) + 1 INTO v_n FROM approvals WHERE case_id = c.id;
        INSERT INTO approvals (case_id, round, proposal, level, roles, rule)
        SELECT c.id, c.round, v_n, l.i,
               ARRAY(SELECT jsonb_array_elements_text(l.roles)), v_rule->>'rule'
          FROM jsonb_array_elements(coalesce(v_rule->'levels', '[]')) WITH ORDINALITY AS l(roles, i);
        UPDATE cases SET proposed_result = v_detail->>'result' WHERE id = c.id;
        v_extra := jsonb_build_object('rule', v_rule->'rule', 'approvals',
                       coalesce((SELECT jsonb_agg(jsonb_build_object('level', l.i, 'roles', l.roles)
                                                  ORDER BY l.i)
                                   FROM jsonb_array_elements(coalesce(v_rule->'levels', '[]'))
                                        WITH ORDINALITY AS l(roles, i)), '[]'));
        IF jsonb_array_length(coalesce(v_rule->'levels', '[]')) = 0 THEN
            v_new := 'approved';
            v_cancel := v_cancel || pl_deadline_cancel(c.id, 'approval');
        ELSE
            v_new := 'resolution_proposed';
            IF v_rule->'due_at' IS NOT NULL AND jsonb_typeof(v_rule->'due_at') = 'number' THEN
                -- The approval's own deadline; a new proposal starts it again.
                INSERT INTO deadlines (case_id, name, label, calendar, clock, due_at, met_by,
                                       chain, rules_version, next_fire_at)
                VALUES (c.id, 'approval', '审批', v_rule->>'calendar',
                        coalesce(v_rule->>'clock', 'real'),
                        to_timestamp((v_rule->>'due_at')::double precision / 1000000),
                        ARRAY['approve'],
                        CASE WHEN jsonb_array_length(coalesce(v_rule->'escalate', '[]')) > 0
                             THEN jsonb_build_array(jsonb_build_object('level', 1,
                                                        'to', v_rule->'escalate'))
                             ELSE '[]'::jsonb END,
                        c.rules_version,
                        to_timestamp((v_rule->>'due_at')::double precision / 1000000))
                ON CONFLICT (case_id, name) DO UPDATE
                   SET due_at = excluded.due_at, status = 'pending', level = 0, level_at = NULL,
                       warned = 0, met_at = NULL, chain = excluded.chain,
                       next_fire_at = excluded.next_fire_at;
            END IF;
        END IF;

    WHEN 'approve', 'reject' THEN
        SELECT * INTO a FROM approvals
         WHERE case_id = c.id AND status = 'pending'
         ORDER BY proposal DESC, level LIMIT 1 FOR UPDATE;
        IF NOT FOUND THEN
            RETURN pl_case_refusal(c, 'invalid_state', 'status',
                       format('case %s has no approval pending', c.case_no));
        END IF;
        IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(v_detail->'actor_roles', '[]')) r
                        WHERE r = ANY (a.roles)) THEN
            RETURN pl_case_refusal(c, 'forbidden', 'by',
                       format('level %s of the approval of case %s needs one of: %s; %s holds none',
                              a.level, c.case_no, array_to_string(a.roles, ', '), p_actor));
        END IF;
        -- Four eyes: nobody approves their own proposal, or two levels of one.
        IF p_op = 'approve' AND p_actor = (SELECT h.actor FROM case_history h
                                            WHERE h.case_id = c.id AND h.type = 'propose'
                                            ORDER BY h.id DESC LIMIT 1) THEN
            RETURN pl_case_refusal(c, 'forbidden', 'by',
                       format('%s proposed this resolution of case %s and cannot approve it',
                              p_actor, c.case_no));
        END IF;
        IF p_op = 'approve' AND EXISTS (SELECT 1 FROM approvals x
                                         WHERE x.case_id = c.id AND x.proposal = a.proposal
                                           AND x.decided_by = p_actor) THEN
            RETURN pl_case_refusal(c, 'forbidden', 'by',
                       format('%s already approved a level of this proposal of case %s; '
                              'another person must approve level %s', p_actor, c.case_no,
                              a.level));
        END IF;
        IF p_op = 'approve' THEN
            UPDATE approvals SET status = 'approved', decided_by = p_actor, decided_at = v_now,
                                 reason = v_detail->>'reason'
             WHERE id = a.id;
            SELECT jsonb_build_object('level', x.level, 'roles', to_jsonb(x.roles)) INTO v_level
              FROM approvals x
             WHERE x.case_id = c.id AND x.proposal = a.proposal AND x.status = 'pending'
             ORDER BY x.level LIMIT 1;
            v_extra := jsonb_build_object('level', a.level, 'next', v_level,
                                          'levels', (SELECT count(*) FROM approvals x
                                                      WHERE x.case_id = c.id
                                                        AND x.proposal = a.proposal));
            IF v_level IS NULL THEN
                v_new := 'approved';
            END IF;
        ELSE
            UPDATE approvals SET status = 'rejected', decided_by = p_actor, decided_at = v_now,
                                 reason = v_detail->>'reason'
             WHERE id = a.id;
            UPDATE approvals SET status = 'superseded'
             WHERE case_id = c.id AND proposal = a.proposal AND status = 'pending';
            v_extra := jsonb_build_object('level', a.level);
            v_new := 'investigating';
            v_cancel := v_cancel || pl_deadline_cancel(c.id, 'approval');
        END IF;

    WHEN 'reply' THEN
        UPDATE cases SET handling_result = v_detail->>'text' WHERE id = c.id;
        v_new := 'replied';

    WHEN 'followup' THEN
        INSERT INTO followups (case_id, round, at, by, method, satisfied, opinion)
        VALUES (c.id, c.round, coalesce((v_detail->>'at')::timestamptz, v_now), p_actor,
                v_detail->>'method', (v_detail->>'satisfied')::boolean, v_detail->>'opinion');
        UPDATE cases SET followup_method = v_detail->>'method',
                         followup_at = coalesce((v_detail->>'at')::timestamptz, v_now),
                         followup_by = p_actor, customer_opinion = v_detail->>'opinion'
         WHERE id = c.id;
        IF (v_detail->>'satisfied')::boolean THEN
            v_new := 'followup';
            v_extra := jsonb_build_object('round', c.round, 'escalated', c.escalated,
                                          'assignee', c.assignee);
        ELSE
            -- R22: handled again; unsatisfied again: escalated.
            v_new := CASE WHEN c.assignee IS NOT NULL THEN 'assigned' ELSE 'confirmed' END;
            v_person := c.assignee;
            IF c.round >= 2 THEN
                SELECT p->>'id', p->>'department' INTO v_person, v_dept
                  FROM jsonb_array_elements(coalesce(v_detail->'escalate'->'people', '[]'))
                       WITH ORDINALITY AS e(p, i)
                 ORDER BY (p->>'region' IS NOT DISTINCT FROM c.region) DESC, e.i
                 LIMIT 1;
                v_dept := CASE WHEN v_person IS NOT NULL THEN coalesce(v_dept, c.department)
                               ELSE c.department END;
                v_person := coalesce(v_person, c.assignee);
                v_new := CASE WHEN v_person IS NOT NULL THEN 'assigned' ELSE 'confirmed' END;
                IF v_person IS DISTINCT FROM c.assignee THEN
                    PERFORM pl_load_move(c.assignee, -1);
                    PERFORM pl_load_move(v_person, 1);
                END IF;
                UPDATE cases SET escalated = true, assignee = v_person, department = v_dept
                 WHERE id = c.id;
                PERFORM pl_notify('case.escalated', c.id,
                                  c.case_no || '/unsatisfied/' || (c.round + 1),
                                  jsonb_strip_nulls(jsonb_build_object(
                                      'case_no', c.case_no, 'kind', c.kind,
                                      'category', c.category, 'severity', c.severity,
                                      'department', c.department, 'region', c.region,
                                      'assignee', v_person, 'label', '客户不满意',
                                      'level', c.round + 1,
                                      'to', jsonb_build_array(coalesce(
                                          v_detail->'escalate'->>'role', v_person)))));
                INSERT INTO case_history (case_id, actor, type, detail)
                VALUES (c.id, 'lifecycle', 'escalated',
                        jsonb_build_object('reason', 'unsatisfied twice (R22)',
                                           'role', v_detail->'escalate'->'role',
                                           'from', c.assignee, 'to', v_person,
                                           'round', c.round + 1));
            END IF;
            UPDATE cases SET round = c.round + 1 WHERE id = c.id;
            v_extra := jsonb_build_object('round', c.round + 1,
                                          'escalated', c.escalated OR c.round >= 2,
                                          'assignee', v_person);
        END IF;

    WHEN 'close' THEN
        IF c.status <> 'followup' AND v_detail->>'reason' IS NULL THEN
            RETURN pl_case_refusal(c, 'missing_field', 'reason',
                       format('case %s is %s, not followup: closing it now needs a reason',
                              c.case_no, c.status));
        END IF;
        -- A closed case waits on nobody: its pause ends with it.
        UPDATE cases SET closed_at = v_now, paused_at = NULL, paused_reason = NULL
         WHERE id = c.id;
        PERFORM pl_load_move(c.assignee, -1);
        v_new := 'closed';

    WHEN 'reopen' THEN
        UPDATE cases SET closed_at = NULL, round = c.round + 1 WHERE id = c.id;
        PERFORM pl_load_move(c.assignee, 1);
        v_new := CASE WHEN c.assignee IS NOT NULL THEN 'assigned' ELSE 'confirmed' END;
        v_extra := jsonb_build_object('round', c.round + 1);

    WHEN 'capa' THEN
        IF v_detail ? 'verify' THEN
            v_n := (v_detail->>'verify')::integer;
            UPDATE capa SET status = 'verified', verified_by = p_actor, verified_at = v_now,
                            result = v_detail->>'result',
                            effective = (v_detail->>'effective')::boolean
             WHERE case_id = c.id AND no = v_n AND status = 'open';
            IF NOT FOUND THEN
                IF EXISTS (SELECT 1 FROM capa WHERE case_id = c.id AND no = v_n) THEN
                    RETURN pl_case_refusal(c, 'invalid_state', 'verify',
                               format('capa %s of case %s is already verified', v_n, c.case_no));
                END IF;
                RETURN pl_case_refusal(c, 'not_found', 'verify',
                           format('case %s has no capa %s', c.case_no, v_n));
            END IF;
        ELSE
            SELECT coalesce(max(no), 0) + 1 INTO v_n FROM capa WHERE case_id = c.id;
            INSERT INTO capa (case_id, no, kind, action, owner, due, created_by)
            VALUES (c.id, v_n, v_detail->>'kind', v_detail->>'action', v_detail->>'owner',
                    (v_detail->>'due')::date, p_actor);
        END IF;
        v_extra := jsonb_build_object('capa_no', v_n);

    WHEN 'remark' THEN
        UPDATE cases SET remarks = v_detail->>'text' WHERE id = c.id;

    ELSE
        NULL; -- note, report: the history row and the deadlines below
    END CASE;

    INSERT INTO case_history (case_id, actor, type, detail)
    VALUES (c.id, p_actor, p_op,
            (v_detail - 'actor_roles' - 'plan' - 'plan_for' - 'escalate' - 'rearm') || v_extra);

    FOR d IN SELECT * FROM deadlines
              WHERE case_id = c.id AND status IN ('pending', 'breached')
              ORDER BY id FOR UPDATE
    LOOP
        IF p_op = ANY (d.met_by) AND NOT (p_op = 'approve' AND v_new <> 'approved')
           AND (d.every IS NULL OR v_new = 'closed') THEN
            d.status := 'met';
            d.met_at := v_now;
            d.paused_at := NULL;
            v_met := v_met || to_jsonb(d.name);
        ELSIF v_new = 'closed' THEN
            d.status := 'cancelled';
            d.paused_at := NULL;
            v_cancel := v_cancel || to_jsonb(d.name);
        ELSIF NOT (p_op = ANY (d.met_by)) OR (p_op = 'approve' AND v_new <> 'approved') THEN
            CONTINUE;
        ELSE
            -- Recurring: met now, due again one period later (still paused
            -- if the case is: the pause then counts from now).
            d.paused_at := CASE WHEN d.paused_at IS NOT NULL THEN v_now END;
            d.status := 'pending';
            d.level := 0;
            d.level_at := NULL;
            d.warned := 0;
            IF d.clock = 'business' AND v_detail->'rearm' ? d.name THEN
                -- Working time: the daemon counted it in the calendar
                -- (pl_rules_rearm), so nights and holidays do not count.
                d.due_at := to_timestamp((v_detail->'rearm'->d.name->>'due_us')::double precision
                                         / 1000000);
                d.warn_at := ARRAY(SELECT to_timestamp(w::double precision / 1000000)
                                     FROM jsonb_array_elements_text(
                                              coalesce(v_detail->'rearm'->d.name->'warn_us',
                                                       '[]')) w
                                    ORDER BY 1);
            ELSE
                d.due_at := v_now + d.every;
                d.warn_at := ARRAY(SELECT v_now + d.every * p / 100.0 FROM unnest(d.warn_pct) p
                                    ORDER BY 1);
            END IF;
            d.met_at := v_now;
            v_rearm := v_rearm || jsonb_build_object('name', d.name,
                                                     'due_at', pl_rfc3339(d.due_at));
        END IF;
        UPDATE deadlines
           SET status = d.status, level = d.level, level_at = d.level_at, warned = d.warned,
               due_at = d.due_at, warn_at = d.warn_at, met_at = d.met_at,
               paused_at = d.paused_at, next_fire_at = pl_deadline_next_fire(d)
         WHERE id = d.id;
    END LOOP;
    -- A recurring deadline "until" a status ends when the case gets there.
    FOR d IN SELECT * FROM deadlines
              WHERE case_id = c.id AND status IN ('pending', 'breached')
                AND until_status IS NOT NULL
                AND array_position(ARRAY['registered', 'confirmed', 'assigned', 'investigating',
                                         'resolution_proposed', 'approved', 'replied',
                                         'followup', 'closed'], until_status)
                    <= array_position(ARRAY['registered', 'confirmed', 'assigned',
                                            'investigating', 'resolution_proposed', 'approved',
                                            'replied', 'followup', 'closed'], v_new)
              ORDER BY id FOR UPDATE
    LOOP
        UPDATE deadlines SET status = 'cancelled', next_fire_at = NULL, paused_at = NULL
         WHERE id = d.id;
        v_cancel := v_cancel || to_jsonb(d.name);
    END LOOP;
    -- Re-armed and then ended by its `until`: cancelled is what it is.
    v_rearm := (SELECT coalesce(jsonb_agg(x), '[]') FROM jsonb_array_elements(v_rearm) x
                 WHERE NOT v_cancel ? (x->>'name'));

    UPDATE cases SET status = v_new, updated_at = v_now WHERE id = c.id;
    IF jsonb_array_length(v_met) + jsonb_array_length(v_rearm) + jsonb_array_length(v_cancel) > 0 THEN
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (c.id, 'escalation', 'deadlines_updated',
                jsonb_build_object('met', v_met, 'rearmed', v_rearm, 'cancelled', v_cancel));
    END IF;
    RETURN jsonb_build_object(
        'case_no', c.case_no, 'status', v_new, 'previous', c.status,
        'met', v_met, 'rearmed', v_rearm, 'cancelled', v_cancel,
        'next_fire_at', (SELECT pl_rfc3339(min(x.next_fire_at)) FROM deadlines x
                          WHERE x.case_id = c.id)) || v_extra;
END $$;

-- Deadlines past due (breached, or pending and late), oldest first.
CREATE OR REPLACE FUNCTION pl_overdue(p_limit integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(o ORDER BY o->>'due_at'), '[]')
      FROM (SELECT jsonb_build_object('case_no', c.case_no, 'deadline', d.name,
                                      'label', d.label, 'due_at', pl_rfc3339(d.due_at),
                                      'status', d.status, 'level', d.level,
                                      'department', c.department, 'assignee', c.assignee,
                                      'category', c.category) AS o
              FROM deadlines d JOIN cases c ON c.id = d.case_id
             WHERE d.status = 'breached'
                OR (d.status = 'pending' AND d.due_at < now() AND d.paused_at IS NULL)
             ORDER BY d.due_at
             LIMIT p_limit) t
$$;

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
                'responsibility', c.responsibility,
                'handling_result', c.handling_result,
                'paused_at', pl_rfc3339(c.paused_at),
                'paused_reason', c.paused_reason,
                'cause', c.cause,
                'proposed_result', c.proposed_result,
                'round', c.round,
                'escalated', c.escalated,
                'remarks', c.remarks,
                'closed_at', pl_rfc3339(c.closed_at),
                'followup_method', c.followup_method,
                'followup_at', pl_rfc3339(c.followup_at),
                'followup_by', c.followup_by,
                'customer_opinion', c.customer_opinion,
                'allowed', to_jsonb(pl_case_allowed(c.status)),
                'approvals', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('round', a.round, 'proposal', a.proposal,
                                                         'level', a.level,
                                                         'roles', to_jsonb(a.roles),
                                                         'status', a.status, 'rule', a.rule,
                                                         'by', a.decided_by,
                                                         'at', pl_rfc3339(a.decided_at),
                                                         'reason', a.reason)
                                      ORDER BY a.proposal, a.level)
                       FROM approvals a WHERE a.case_id = c.id),
                    '[]'::jsonb),
                'followups', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('round', f.round,
                                                         'at', pl_rfc3339(f.at), 'by', f.by,
                                                         'method', f.method,
                                                         'satisfied', f.satisfied,
                                                         'opinion', f.opinion)
                                      ORDER BY f.id)
                       FROM followups f WHERE f.case_id = c.id),
                    '[]'::jsonb),
                'capa', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('no', x.no, 'kind', x.kind,
                                                         'action', x.action, 'owner', x.owner,
                                                         'due', x.due::text, 'status', x.status,
                                                         'created_by', x.created_by,
                                                         'created_at', pl_rfc3339(x.created_at),
                                                         'verified_by', x.verified_by,
                                                         'verified_at', pl_rfc3339(x.verified_at),
                                                         'result', x.result,
                                                         'effective', x.effective)
                                      ORDER BY x.no)
                       FROM capa x WHERE x.case_id = c.id),
                    '[]'::jsonb),
                'rules_version', c.rules_version,
                'matched_rules', c.matched_rules,
                'deadlines', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('name', d.name,
                                                         'label', d.label,
                                                         'due_at', pl_rfc3339(d.due_at),
                                                         'status', d.status,
                                                         'level', d.level,
                                                         'recurring', d.every IS NOT NULL)
                                      ORDER BY d.due_at, d.name)
                       FROM deadlines d WHERE d.case_id = c.id),
                    '[]'::jsonb),
                'history', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('at', pl_rfc3339(h.at),
                                                         'actor', h.actor,
                                                         'type', h.type,
                                                         'detail', h.detail)
                                      ORDER BY h.id)
                       FROM case_history h WHERE h.case_id = c.id),
                    '[]'::jsonb),
                -- Deliveries of the case's notifications to the sinks
                -- (notify.sinks): who was told what, and whether it arrived.
                'notifications', coalesce(
                    (SELECT jsonb_agg(jsonb_build_object('topic', o.topic,
                                                         'key', o.idempotency_key,
                                                         'sink', dv.sink,
                                                         'status', dv.status,
                                                         'attempts', dv.attempts,
                                                         'last_error', dv.last_error,
                                                         'done_at', pl_rfc3339(dv.done_at))
                                      ORDER BY dv.id)
                       FROM outbox o JOIN deliveries dv ON dv.outbox_id = o.id
                      WHERE o.case_id = c.id),
                    '[]'::jsonb))
      FROM cases c
     WHERE c.case_no = p_case_no
$$;


-- ---- notification delivery (notify.sinks; daemon/deliver.c) --------------

-- Takes at most p_limit unpublished outbox rows (for the PUB socket) and, in
-- the same statement, queues one delivery per sink that takes the row's
-- topic: p_routes maps a topic to the ids of its sinks,
-- {"deadline.breached": ["wecom", "mail"], ...}.
CREATE OR REPLACE FUNCTION pl_outbox_take(p_limit integer, p_routes jsonb)
RETURNS TABLE (id bigint, topic text, payload jsonb, deliveries integer)
-- plpgsql with custom plans: a LANGUAGE sql function is planned without its
-- arguments' values, and that plan scanned every row (see pl_delivery_take).
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY
    WITH taken AS (
        UPDATE outbox o SET published_at = now()
         WHERE o.id IN (SELECT x.id FROM outbox x
                         WHERE x.published_at IS NULL
                         ORDER BY x.id LIMIT p_limit
                           FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.topic, o.payload
    ), queued AS (
        INSERT INTO deliveries AS dv (outbox_id, sink)
        SELECT t.id, s.sink
          FROM taken t,
               jsonb_array_elements_text(coalesce(p_routes -> t.topic, '[]')) AS s(sink)
        ON CONFLICT ON CONSTRAINT deliveries_outbox_sink_key DO NOTHING
        RETURNING dv.outbox_id
    )
    SELECT t.id, t.topic, t.payload,
           (SELECT count(*)::integer FROM queued q WHERE q.outbox_id = t.id)
      FROM taken t ORDER BY t.id;
END $$;

-- Takes at most p_limit deliveries of sink p_sink that are due at p_now for
-- one attempt each: counts the attempt and moves next_attempt_at to the end
-- of the lease, so no other daemon takes them meanwhile.
CREATE OR REPLACE FUNCTION pl_delivery_take(p_sink text, p_now timestamptz, p_limit integer,
                                            p_lease interval)
RETURNS TABLE (id bigint, attempts integer, topic text, key text, payload jsonb)
-- plpgsql with custom plans: as a LANGUAGE sql function it was planned
-- without the values of p_now and p_limit, and that plan read and sorted
-- every due row: 105 ms against 0.5 ms with 15,000 waiting.
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY
    WITH due AS (
        SELECT d.id FROM deliveries d
         WHERE d.sink = p_sink AND d.status = 'pending' AND d.next_attempt_at <= p_now
         ORDER BY d.next_attempt_at, d.id
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    ), taken AS (
        UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = p_now + p_lease
          FROM due WHERE d.id = due.id
        RETURNING d.id, d.attempts, d.outbox_id
    )
    SELECT t.id, t.attempts, o.topic, o.idempotency_key, o.payload
      FROM taken t JOIN outbox o ON o.id = t.outbox_id
     ORDER BY t.id;
END $$;

-- Records the outcome of attempt p_attempt: p_outcome 'delivered', 'retry'
-- (at p_next) or 'dead' (given up), with the error of a failed attempt. An
-- outcome that comes after the delivery was taken for a later attempt (its
-- lease ran out meanwhile) changes nothing but a delivery.
CREATE OR REPLACE FUNCTION pl_delivery_done(p_id bigint, p_outcome text, p_error text,
                                            p_next timestamptz, p_attempt integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_outcome = 'delivered' THEN
        UPDATE deliveries SET status = 'delivered', done_at = now(), last_error = NULL
         WHERE id = p_id AND status = 'pending';
    ELSIF p_outcome = 'dead' THEN
        UPDATE deliveries SET status = 'dead', done_at = now(), last_error = p_error
         WHERE id = p_id AND status = 'pending' AND attempts = p_attempt;
    ELSE
        UPDATE deliveries SET next_attempt_at = p_next, last_error = p_error
         WHERE id = p_id AND status = 'pending' AND attempts = p_attempt;
    END IF;
END $$;

-- ---- queries (issue 5) -----------------------------------------------------

-- Cases matching p_filter (docs/protocol.md, list): every member given must
-- hold. status: an array of statuses; kind, category, department, assignee:
-- equal; overdue: true for cases with a breached deadline or a pending one
-- past due and not paused; received_from (inclusive) and received_to
-- (exclusive): RFC 3339; text: a substring of the content, case-insensitive
-- for ASCII. Newest received first. Returns {"total", "cases": [...]}.
CREATE OR REPLACE FUNCTION pl_case_list(p_filter jsonb, p_limit integer, p_offset integer)
RETURNS jsonb
-- plpgsql with custom plans: the filter's absent members fold away.
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN (
    -- The matches hold only narrow columns; the summary and the overdue
    -- mark are read for the page's rows alone.
    WITH f AS (
        SELECT c.id, c.case_no, c.status, c.kind, c.category, c.severity, c.department,
               c.assignee, c.received_at, c.round
          FROM cases c
         WHERE (NOT (p_filter ? 'status') OR p_filter->'status' ? c.status)
           AND (NOT (p_filter ? 'kind') OR c.kind = p_filter->>'kind')
           AND (NOT (p_filter ? 'category') OR c.category = p_filter->>'category')
           AND (NOT (p_filter ? 'department') OR c.department = p_filter->>'department')
           AND (NOT (p_filter ? 'assignee') OR c.assignee = p_filter->>'assignee')
           AND (NOT (p_filter ? 'received_from')
                OR c.received_at >= (p_filter->>'received_from')::timestamptz)
           AND (NOT (p_filter ? 'received_to')
                OR c.received_at < (p_filter->>'received_to')::timestamptz)
           AND (NOT (p_filter ? 'text')
                OR strpos(lower(c.content), lower(p_filter->>'text')) > 0)
           AND (NOT coalesce((p_filter->>'overdue')::boolean, false)
                OR EXISTS (SELECT 1 FROM deadlines d
                            WHERE d.case_id = c.id
                              AND (d.status = 'breached'
                                   OR (d.status = 'pending' AND d.due_at < now()
                                       AND d.paused_at IS NULL))))
    ), page AS (
        SELECT * FROM f ORDER BY f.received_at DESC, f.case_no LIMIT p_limit OFFSET p_offset
    )
    SELECT jsonb_build_object(
               'total', (SELECT count(*) FROM f),
               'cases', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                      'case_no', p.case_no, 'status', p.status, 'kind', p.kind,
                                      'category', p.category, 'severity', p.severity,
                                      'department', p.department, 'assignee', p.assignee,
                                      'received_at', pl_rfc3339(p.received_at),
                                      'summary', (SELECT left(c.content, 40) FROM cases c
                                                   WHERE c.id = p.id),
                                      'overdue', EXISTS (
                                          SELECT 1 FROM deadlines d
                                           WHERE d.case_id = p.id
                                             AND (d.status = 'breached'
                                                  OR (d.status = 'pending' AND d.due_at < now()
                                                      AND d.paused_at IS NULL))),
                                      'round', p.round)
                                    ORDER BY p.received_at DESC, p.case_no)
                                    FROM page p), '[]'::jsonb)));
END $$;
