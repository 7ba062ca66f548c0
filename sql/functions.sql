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
-- is (not) paused refuses pause (resume) with "paused": true (false).
CREATE OR REPLACE FUNCTION pl_case_pause(c cases, p_op text, p_actor text, p_detail jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    d       deadlines;
    v_now   timestamptz := now();
    v_list  jsonb := '[]';
    v_due   timestamptz;
BEGIN
    IF (p_op = 'pause') = (c.paused_at IS NOT NULL) THEN
        RETURN jsonb_build_object('case_no', c.case_no, 'status', c.status, 'refused', true,
                                  'paused', c.paused_at IS NOT NULL,
                                  'paused_at', pl_rfc3339(c.paused_at));
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
                  ORDER BY id FOR UPDATE
        LOOP
            v_due := coalesce(to_timestamp((p_detail->'due'->>d.name)::double precision / 1000000),
                              d.due_at + (v_now - d.paused_at));
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

CREATE OR REPLACE FUNCTION pl_case_op(p_case_no text, p_op text, p_actor text, p_detail jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    c        cases;
    d        deadlines;
    v_now    timestamptz := now();
    v_met    jsonb := '[]';
    v_rearm  jsonb := '[]';
    v_cancel jsonb := '[]';
BEGIN
    SELECT * INTO c FROM cases WHERE case_no = p_case_no FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF c.status = 'closed' THEN
        RETURN jsonb_build_object('case_no', c.case_no, 'status', c.status, 'refused', true);
    END IF;
    IF p_op IN ('pause', 'resume') THEN
        RETURN pl_case_pause(c, p_op, p_actor, p_detail);
    END IF;

    INSERT INTO case_history (case_id, actor, type, detail)
    VALUES (c.id, p_actor, p_op, coalesce(p_detail, '{}'));

    IF p_op = 'visit' AND p_detail ? 'responsibility' THEN
        UPDATE cases SET responsibility = p_detail->>'responsibility' WHERE id = c.id;
    ELSIF p_op = 'reply' THEN
        UPDATE cases SET handling_result = p_detail->>'text' WHERE id = c.id;
    END IF;

    FOR d IN SELECT * FROM deadlines
              WHERE case_id = c.id AND status IN ('pending', 'breached')
              ORDER BY id FOR UPDATE
    LOOP
        IF p_op = ANY (d.met_by) AND d.every IS NOT NULL AND p_op <> 'close' THEN
            -- Recurring: met now, due again one period later.
            d.status := 'pending';
            d.level := 0;
            d.level_at := NULL;
            d.warned := 0;
            d.due_at := v_now + d.every;
            d.warn_at := ARRAY(SELECT v_now + d.every * p / 100.0 FROM unnest(d.warn_pct) p
                                ORDER BY 1);
            d.met_at := v_now;
            v_rearm := v_rearm || jsonb_build_object('name', d.name,
                                                     'due_at', pl_rfc3339(d.due_at));
        ELSIF p_op = ANY (d.met_by) THEN
            d.status := 'met';
            d.met_at := v_now;
            v_met := v_met || to_jsonb(d.name);
        ELSIF p_op = 'close' THEN
            d.status := 'cancelled';
            v_cancel := v_cancel || to_jsonb(d.name);
        ELSE
            CONTINUE;
        END IF;
        UPDATE deadlines
           SET status = d.status, level = d.level, level_at = d.level_at, warned = d.warned,
               due_at = d.due_at, warn_at = d.warn_at, met_at = d.met_at,
               next_fire_at = pl_deadline_next_fire(d)
         WHERE id = d.id;
    END LOOP;

    IF p_op = 'close' THEN
        UPDATE cases SET status = 'closed', updated_at = v_now WHERE id = c.id;
        UPDATE assignee_load SET open_cases = greatest(open_cases - 1, 0)
         WHERE person = c.assignee;
    ELSE
        UPDATE cases SET updated_at = v_now WHERE id = c.id;
    END IF;
    IF jsonb_array_length(v_met) + jsonb_array_length(v_rearm) + jsonb_array_length(v_cancel) > 0 THEN
        INSERT INTO case_history (case_id, actor, type, detail)
        VALUES (c.id, 'escalation', 'deadlines_updated',
                jsonb_build_object('met', v_met, 'rearmed', v_rearm, 'cancelled', v_cancel));
    END IF;
    RETURN jsonb_build_object(
        'case_no', c.case_no,
        'status', CASE WHEN p_op = 'close' THEN 'closed' ELSE c.status END,
        'met', v_met, 'rearmed', v_rearm, 'cancelled', v_cancel,
        'next_fire_at', (SELECT pl_rfc3339(min(x.next_fire_at)) FROM deadlines x
                          WHERE x.case_id = c.id));
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
LANGUAGE sql AS $$
    WITH taken AS (
        UPDATE outbox o SET published_at = now()
         WHERE o.id IN (SELECT x.id FROM outbox x
                         WHERE x.published_at IS NULL
                         ORDER BY x.id LIMIT p_limit
                           FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.topic, o.payload
    ), queued AS (
        INSERT INTO deliveries (outbox_id, sink)
        SELECT t.id, s.sink
          FROM taken t,
               jsonb_array_elements_text(coalesce(p_routes -> t.topic, '[]')) AS s(sink)
        ON CONFLICT ON CONSTRAINT deliveries_outbox_sink_key DO NOTHING
        RETURNING outbox_id
    )
    SELECT t.id, t.topic, t.payload,
           (SELECT count(*)::integer FROM queued q WHERE q.outbox_id = t.id)
      FROM taken t ORDER BY t.id;
$$;

-- Takes at most p_limit deliveries of sink p_sink that are due at p_now for
-- one attempt each: counts the attempt and moves next_attempt_at to the end
-- of the lease, so no other daemon takes them meanwhile.
CREATE OR REPLACE FUNCTION pl_delivery_take(p_sink text, p_now timestamptz, p_limit integer,
                                            p_lease interval)
RETURNS TABLE (id bigint, attempts integer, topic text, key text, payload jsonb)
LANGUAGE sql AS $$
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
$$;

-- Records the outcome of one attempt: p_outcome 'delivered', 'retry' (at
-- p_next) or 'dead' (given up), with the error of a failed attempt.
CREATE OR REPLACE FUNCTION pl_delivery_done(p_id bigint, p_outcome text, p_error text,
                                            p_next timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_outcome = 'delivered' THEN
        UPDATE deliveries SET status = 'delivered', done_at = now(), last_error = NULL
         WHERE id = p_id AND status = 'pending';
    ELSIF p_outcome = 'dead' THEN
        UPDATE deliveries SET status = 'dead', done_at = now(), last_error = p_error
         WHERE id = p_id AND status = 'pending';
    ELSE
        UPDATE deliveries SET next_attempt_at = p_next, last_error = p_error
         WHERE id = p_id AND status = 'pending';
    END IF;
END $$;
