-- 002: delivery of outbox notifications to the configured sinks (issue 4).
--
-- When the escalator takes new outbox rows (pl_outbox_take) it inserts, in
-- the same statement, one delivery per sink that takes the row's topic
-- (notify.sinks[].topics). The notifier then attempts each delivery until it
-- is delivered or dead. (outbox_id, sink) is unique, and outbox rows are
-- unique per (case, deadline, step, level) by their idempotency key, so a
-- notification is delivered to a sink once however often daemons restart.
CREATE TABLE deliveries (
    id              bigserial   PRIMARY KEY,
    outbox_id       bigint      NOT NULL REFERENCES outbox (id),
    sink            text        NOT NULL,           -- notify.sinks[].id
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0, -- attempts started
    -- When a pending delivery may be attempted. Taking it for an attempt
    -- moves this past the attempt's lease, so another daemon does not take
    -- it meanwhile, and a daemon that dies mid-attempt leaves it to be
    -- taken again when the lease ends.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,                    -- delivered or given up
    CONSTRAINT deliveries_outbox_sink_key UNIQUE (outbox_id, sink)
);
-- pl_delivery_take reads a sink's due rows in (next_attempt_at, id) order
-- and stops after a few: with id in the index that is a short range scan
-- however many wait (a sort of every due row otherwise).
CREATE INDEX deliveries_due_idx ON deliveries (sink, next_attempt_at, id)
    WHERE status = 'pending';

-- Pausing (issue 4): a case waiting on the customer stops the clocks of its
-- pausable deadlines; resuming adds the paused time back as each deadline
-- counts time (its clock: real, business or working_days).
ALTER TABLE deadlines ADD COLUMN clock text;   -- real, business, working_days
ALTER TABLE cases ADD COLUMN paused_at timestamptz,
                  ADD COLUMN paused_reason text;

-- A case's notifications (pl_case_json) without a scan of the outbox.
CREATE INDEX outbox_case_idx ON outbox (case_id);
