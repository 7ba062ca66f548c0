-- 003: the complaint lifecycle (issue 5; docs/lifecycle.md): handling
-- rounds, approvals (R20), follow-ups (R21, R22) and corrective and
-- preventive actions (R23). The transitions themselves are in
-- sql/functions.sql (pl_case_transition), the only place they are defined.
ALTER TABLE cases ADD COLUMN cause           text,     -- cause analysis (R11, R23)
                  ADD COLUMN proposed_result text,     -- the resolution waiting for approval
                  ADD COLUMN round           integer NOT NULL DEFAULT 1,  -- handling round (R22)
                  ADD COLUMN escalated       boolean NOT NULL DEFAULT false,
                  ADD COLUMN closed_at       timestamptz;

-- One row per approval level of a proposal. A new proposal supersedes the
-- rows of the one before that were still pending.
CREATE TABLE approvals (
    id         bigserial   PRIMARY KEY,
    case_id    bigint      NOT NULL REFERENCES cases (id),
    round      integer     NOT NULL,
    proposal   integer     NOT NULL,        -- 1, 2, ... per case
    level      integer     NOT NULL,
    roles      text[]      NOT NULL,        -- any of them approves
    rule       text,                        -- approvals[].name of the config
    status     text        NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    decided_by text,
    decided_at timestamptz,
    reason     text,
    CONSTRAINT approvals_level_key UNIQUE (case_id, proposal, level)
);

-- Follow-up calls (回访, R21): method, time, person, satisfaction, opinion.
CREATE TABLE followups (
    id        bigserial   PRIMARY KEY,
    case_id   bigint      NOT NULL REFERENCES cases (id),
    round     integer     NOT NULL,
    at        timestamptz NOT NULL,
    by        text        NOT NULL,
    method    text        NOT NULL CHECK (method IN ('phone', 'visit', 'sms', 'wechat', 'email')),
    satisfied boolean     NOT NULL,
    opinion   text
);
CREATE INDEX followups_case_idx ON followups (case_id, id);

-- Corrective and preventive actions (R23), numbered per case.
CREATE TABLE capa (
    id          bigserial   PRIMARY KEY,
    case_id     bigint      NOT NULL REFERENCES cases (id),
    no          integer     NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('corrective', 'preventive')),
    action      text        NOT NULL,
    owner       text        NOT NULL,
    due         date        NOT NULL,
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'verified')),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    verified_by text,
    verified_at timestamptz,
    result      text,
    effective   boolean,
    CONSTRAINT capa_no_key UNIQUE (case_id, no)
);

CREATE INDEX cases_department_idx ON cases (department);
CREATE INDEX cases_kind_idx ON cases (kind);
