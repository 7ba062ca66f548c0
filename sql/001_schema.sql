-- 001: the schema: cases (the register of R7/R8 plus the classification and
-- route of issue 3), their append-only history, case-number counters, dead
-- letters, deadlines and the outbox (issue 4), and per-person load.
-- Applied by plaintd at start (daemon/migrate.c) in one transaction and
-- recorded in schema_migrations. The functions are in sql/functions.sql,
-- which plaintd re-applies at every start (see sql/README.md).

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

-- What the classifier and router decided (issue 3, R10-R15), with the rules
-- version that decided it (invariant 6).
ALTER TABLE cases
    ADD COLUMN category      text,
    ADD COLUMN severity      text,
    ADD COLUMN tags          text[] NOT NULL DEFAULT '{}',
    ADD COLUMN department    text,
    ADD COLUMN assignee      text,
    ADD COLUMN inform        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN rules_version text,
    ADD COLUMN matched_rules jsonb  NOT NULL DEFAULT '[]';
CREATE INDEX cases_assignee_idx ON cases (assignee);
CREATE INDEX cases_category_idx ON cases (category);

-- Deadlines, their escalation and notifications (issue 4, R16-R19).
ALTER TABLE cases ADD COLUMN responsibility text;   -- quality, misuse, other (R11, R16)

CREATE TABLE deadlines (
    id            bigserial   PRIMARY KEY,
    case_id       bigint      NOT NULL REFERENCES cases (id),
    name          text        NOT NULL,
    label         text,
    calendar      text,
    status        text        NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'met', 'breached', 'cancelled')),
    level         integer     NOT NULL DEFAULT 0,   -- escalation level reached
    level_at      timestamptz,                      -- when that level fired
    due_at        timestamptz NOT NULL,
    warn_at       timestamptz[] NOT NULL DEFAULT '{}',
    warn_pct      integer[]   NOT NULL DEFAULT '{}', -- for re-arming recurring ones
    warned        integer     NOT NULL DEFAULT 0,    -- warnings fired so far
    every         interval,                         -- recurring: re-armed when met
    until_status  text,
    met_by        text[]      NOT NULL DEFAULT '{}',
    pausable      boolean     NOT NULL DEFAULT false,
    paused_at     timestamptz,
    chain         jsonb       NOT NULL DEFAULT '[]', -- [{"level","to":[],"after_s"}]
    rules_version text,
    next_fire_at  timestamptz,                      -- NULL: nothing more to do
    met_at        timestamptz,
    CONSTRAINT deadlines_case_name_key UNIQUE (case_id, name)
);
CREATE INDEX deadlines_next_fire_idx ON deadlines (next_fire_at)
    WHERE next_fire_at IS NOT NULL;
CREATE INDEX deadlines_overdue_idx ON deadlines (due_at)
    WHERE status IN ('pending', 'breached');

-- Notifications waiting for the notifier; one row per (case, deadline,
-- step, level): the idempotency key keeps a step from notifying twice.
CREATE TABLE outbox (
    id              bigserial   PRIMARY KEY,
    created_at      timestamptz NOT NULL DEFAULT now(),
    topic           text        NOT NULL,
    case_id         bigint      REFERENCES cases (id),
    idempotency_key text        NOT NULL UNIQUE,
    payload         jsonb       NOT NULL,
    published_at    timestamptz                      -- sent on the PUB socket
);
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Open cases per person, kept in step by pl_submit and pl_case_op, so a
-- least_loaded pool needs no count of cases.
CREATE TABLE assignee_load (
    person     text    PRIMARY KEY,
    open_cases integer NOT NULL
);
