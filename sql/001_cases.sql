-- 001: cases, their history, the case-number counters and the dead letters.
-- Applied by plaintd at start (see daemon/migrate.c); each migration runs in
-- one transaction and is recorded in schema_migrations.

-- One row per (year, counter): the serial part of human case numbers.
CREATE TABLE case_counters (
    year     integer PRIMARY KEY,
    last_seq bigint  NOT NULL
);

-- The complaint register (R7, R8) plus what the daemon needs.
CREATE TABLE cases (
    id               bigserial   PRIMARY KEY,
    case_no          text        NOT NULL UNIQUE,
    source           text        NOT NULL,           -- publishing system
    event_id         text        NOT NULL,           -- publisher's idempotency key
    kind             text        NOT NULL,           -- complaint, feedback, repair, ...
    channel          text        NOT NULL,           -- phone, fax, email, visit, oral, web, system (R9)
    status           text        NOT NULL DEFAULT 'registered',
    received_at      timestamptz NOT NULL,           -- R7 "time"
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- R7 register columns
    customer_name    text,                           -- complainant
    customer_phone   text,
    customer_address text,
    content          text        NOT NULL,           -- complaint content
    handling_result  text,
    followup_method  text,
    followup_at      timestamptz,
    followup_by      text,
    customer_opinion text,
    remarks          text,
    -- R8 product complaints
    product_spec     text,
    order_no         text,
    order_quantity   bigint,
    ship_date        date,
    problem_category text,
    problem_point    text,
    info_category    text,
    handling_plan    text,
    sample_to_qa     boolean     NOT NULL DEFAULT false,
    region           text,
    attributes       jsonb       NOT NULL DEFAULT '{}',
    event            jsonb       NOT NULL,           -- the normalized event as received
    CONSTRAINT cases_source_event_key UNIQUE (source, event_id)
);
CREATE INDEX cases_received_at_idx ON cases (received_at);
CREATE INDEX cases_status_idx ON cases (status);

-- Every change of a case, append-only (invariant 4, R24).
CREATE TABLE case_history (
    id      bigserial   PRIMARY KEY,
    case_id bigint      NOT NULL REFERENCES cases (id),
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text        NOT NULL,
    type    text        NOT NULL,
    detail  jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX case_history_case_idx ON case_history (case_id, id);

CREATE FUNCTION pl_history_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_history is append-only';
END $$;
CREATE TRIGGER case_history_append_only
    BEFORE UPDATE OR DELETE ON case_history
    FOR EACH ROW EXECUTE FUNCTION pl_history_is_append_only();

-- Refused requests, kept for inspection (invariant 3).
CREATE TABLE dead_letters (
    id          bigserial   PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    peer        text,                   -- transport peer, never a person
    raw         bytea       NOT NULL,   -- the request bytes (cut at the size limit)
    raw_size    integer     NOT NULL,   -- the request's full size
    code        text        NOT NULL,   -- error code sent back
    field       text,
    message     text        NOT NULL
);
CREATE INDEX dead_letters_received_at_idx ON dead_letters (received_at);

-- RFC 3339 in UTC with microseconds, as the protocol prints times.
CREATE FUNCTION pl_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- Stores one validated, normalized event (see docs/events.md) unless its
-- (source, event_id) is known. case_tpl holds {year} and {seq}; seq_width
-- pads the serial; tz names the zone whose local year numbers the case.
CREATE FUNCTION pl_submit(ev jsonb, case_tpl text, seq_width integer, tz text,
                          OUT case_no text, OUT duplicate boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_source   text        := ev->>'source';
    v_event_id text        := ev->>'event_id';
    v_at       timestamptz := (ev->>'received_at')::timestamptz;
    v_year     integer     := extract(year FROM v_at AT TIME ZONE tz)::integer;
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
                       region, attributes, event)
    VALUES (case_no, v_source, v_event_id, ev->>'kind', ev->>'channel', v_at,
            ev->'customer'->>'name', ev->'customer'->>'phone', ev->'customer'->>'address',
            ev->>'content',
            ev->'product'->>'spec', ev->'product'->>'order_no',
            (ev->'product'->>'quantity')::bigint, (ev->'product'->>'ship_date')::date,
            ev->>'region', coalesce(ev->'attributes', '{}'), ev)
    ON CONFLICT (source, event_id) DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NULL THEN
        -- Another daemon stored the same event concurrently and committed first.
        SELECT c.case_no INTO case_no
          FROM cases c WHERE c.source = v_source AND c.event_id = v_event_id;
        duplicate := true;
        RETURN;
    END IF;

    INSERT INTO case_history (case_id, actor, type, detail)
    VALUES (v_id, 'source:' || v_source, 'registered',
            jsonb_build_object('kind', ev->>'kind', 'channel', ev->>'channel',
                               'event_id', v_event_id));
    duplicate := false;
END $$;

-- The case as the protocol shows it: the event's fields at the top level plus
-- case_no, status, times and the history. NULL when there is no such case.
CREATE FUNCTION pl_case_json(p_case_no text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT c.event
           || jsonb_build_object(
                'case_no', c.case_no,
                'status', c.status,
                'received_at', pl_rfc3339(c.received_at),
                'created_at', pl_rfc3339(c.created_at),
                'updated_at', pl_rfc3339(c.updated_at),
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
