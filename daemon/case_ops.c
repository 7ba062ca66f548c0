/*
 * case_ops: the operations on a case (docs/lifecycle.md) and the queries
 * list and overdue (docs/protocol.md). The broker checks each request's
 * fields here and adds what only the configuration knows (who holds which
 * role, the approval matrix, whom to escalate to); pl_case_op in
 * sql/functions.sql checks the transition under the case's row lock and
 * does the rest in one transaction.
 */
#include "daemon/broker_internal.h"

#include "common/pl_json.h"
#include "common/pl_log.h"
#include "config/config.h"
#include "config/deadlines.h"
#include "config/lifecycle.h"
#include "config/people.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fields of the operations ------------------------------------------------------------ */

typedef enum { S_STR = 1, S_ENUM, S_BOOL, S_INT, S_DATE, S_TIME } s_type_t;

typedef struct {
    const char *name;
    s_type_t type;
    int required;
    size_t max;                 /* S_STR */
    const char *const *values;  /* S_ENUM */
} s_field_t;

static const char *const s_responsibilities[] = {"quality", "misuse", "other", NULL};
static const char *const s_methods[] = {"phone", "visit", "sms", "wechat", "email", NULL};
static const char *const s_capa_kinds[] = {"corrective", "preventive", NULL};

#define S_TEXT 16384
#define S_MAX_FIELDS 5

typedef struct {
    const char *op;
    s_field_t fields[S_MAX_FIELDS];
} s_op_spec_t;

static const s_op_spec_t s_specs[] = {
    {"confirm", {{"text", S_STR, 0, S_TEXT, NULL}}},
    {"assign", {{"to", S_STR, 1, 128, NULL}}},
    {"note", {{"text", S_STR, 1, S_TEXT, NULL}}},
    {"report", {{"text", S_STR, 1, S_TEXT, NULL}}},
    {"visit",
     {{"finding", S_STR, 1, S_TEXT, NULL},
      {"responsibility", S_ENUM, 1, 0, s_responsibilities}}},
    {"analyse",
     {{"cause", S_STR, 1, S_TEXT, NULL}, {"responsibility", S_ENUM, 1, 0, s_responsibilities}}},
    {"propose", {{"result", S_STR, 1, S_TEXT, NULL}}},
    {"approve", {{"reason", S_STR, 0, S_TEXT, NULL}}},
    {"reject", {{"reason", S_STR, 1, S_TEXT, NULL}}},
    {"reply", {{"text", S_STR, 1, S_TEXT, NULL}}},
    {"followup",
     {{"method", S_ENUM, 1, 0, s_methods},
      {"satisfied", S_BOOL, 1, 0, NULL},
      {"opinion", S_STR, 0, S_TEXT, NULL},
      {"at", S_TIME, 0, 0, NULL}}},
    {"close", {{"reason", S_STR, 0, S_TEXT, NULL}}},
    {"reopen", {{"reason", S_STR, 1, S_TEXT, NULL}}},
    {"remark", {{"text", S_STR, 1, S_TEXT, NULL}}},
    {"pause", {{"reason", S_STR, 1, 4096, NULL}}},
    {"resume", {{NULL, 0, 0, 0, NULL}}},
};

/* capa has two forms: adding an action, or verifying one. */
static const s_op_spec_t s_capa_add = {
    "capa",
    {{"kind", S_ENUM, 1, 0, s_capa_kinds},
     {"action", S_STR, 1, S_TEXT, NULL},
     {"owner", S_STR, 1, 128, NULL},
     {"due", S_DATE, 1, 0, NULL}}};
static const s_op_spec_t s_capa_verify = {
    "capa",
    {{"verify", S_INT, 1, 0, NULL},
     {"result", S_STR, 1, S_TEXT, NULL},
     {"effective", S_BOOL, 1, 0, NULL}}};

int pl__opt_string(json_t *root, const char *key, size_t max, const char **out, pl_err_t *err)
{
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v) {
        return 0;
    }
    if (!json_is_string(v)) {
        return pl_err_set(err, PL_EINVAL, "wrong_type", key, "%s must be a string, not %s", key,
                          pl_json_type_phrase(v));
    }
    if (json_string_length(v) == 0 || json_string_length(v) > max) {
        return pl_err_set(err, PL_EINVAL, "invalid_value", key,
                          "%s must be 1 to %zu bytes long", key, max);
    }
    *out = json_string_value(v);
    return 0;
}

static void s_join(const char *const *values, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; values[i] && used < size; i++) {
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", values[i]);
    }
}

/* Checks one field and copies it into `detail`. */
static int s_field(const s_op_spec_t *spec, const s_field_t *f, json_t *root, json_t *detail,
                   pl_err_t *err)
{
    json_t *v = json_object_get(root, f->name);
    if (!v) {
        if (f->required) {
            return pl_err_set(err, PL_EINVAL, "missing_field", f->name, "%s needs %s", spec->op,
                              f->name);
        }
        return 0;
    }
    char list[128];
    switch (f->type) {
    case S_STR: {
        const char *s;
        int rc = pl__opt_string(root, f->name, f->max, &s, err);
        if (rc) {
            return rc;
        }
        break;
    }
    case S_ENUM:
        s_join(f->values, list, sizeof list);
        if (!json_is_string(v)) {
            return pl_err_set(err, PL_EINVAL, "wrong_type", f->name,
                              "%s must be a string (%s), not %s", f->name, list,
                              pl_json_type_phrase(v));
        }
        for (const char *const *a = f->values; *a; a++) {
            if (strcmp(*a, json_string_value(v)) == 0) {
                return json_object_set(detail, f->name, v) ? PL_ENOMEM : 0;
            }
        }
        return pl_err_set(err, PL_EINVAL, "invalid_value", f->name, "%s must be one of: %s",
                          f->name, list);
    case S_BOOL:
        if (!json_is_boolean(v)) {
            return pl_err_set(err, PL_EINVAL, "wrong_type", f->name,
                              "%s must be true or false, not %s", f->name,
                              pl_json_type_phrase(v));
        }
        break;
    case S_INT:
        if (!json_is_integer(v)) {
            return pl_err_set(err, PL_EINVAL, "wrong_type", f->name,
                              "%s must be an integer, not %s", f->name, pl_json_type_phrase(v));
        }
        if (json_integer_value(v) < 1 || json_integer_value(v) > 1000000) {
            return pl_err_set(err, PL_EINVAL, "invalid_value", f->name,
                              "%s must be from 1 to 1000000", f->name);
        }
        break;
    case S_DATE: {
        int y, m, d;
        if (!json_is_string(v)) {
            return pl_err_set(err, PL_EINVAL, "wrong_type", f->name,
                              "%s must be a date string YYYY-MM-DD, not %s", f->name,
                              pl_json_type_phrase(v));
        }
        if (pl_time_parse_date(json_string_value(v), &y, &m, &d) != 0 || y < 1970) {
            return pl_err_set(err, PL_EINVAL, "invalid_value", f->name,
                              "%s must be a date YYYY-MM-DD from 1970 on", f->name);
        }
        break;
    }
    case S_TIME: {
        pl_usec_t t;
        if (!json_is_string(v)) {
            return pl_err_set(err, PL_EINVAL, "wrong_type", f->name,
                              "%s must be an RFC 3339 time string, not %s", f->name,
                              pl_json_type_phrase(v));
        }
        if (pl_time_parse_rfc3339(json_string_value(v), &t) != 0 || t < 0) {
            return pl_err_set(err, PL_EINVAL, "invalid_value", f->name,
                              "%s must be an RFC 3339 time from 1970 on, such as "
                              "2026-11-28T14:05:00+08:00",
                              f->name);
        }
        if (t > pl_now() + 5 * PL_USEC_PER_MIN) {
            return pl_err_set(err, PL_EINVAL, "invalid_value", f->name,
                              "%s is in the future", f->name);
        }
        break;
    }
    }
    return json_object_set(detail, f->name, v) ? PL_ENOMEM : 0;
}

/* Checks the request against the op's fields; fills `detail`. */
static int s_fields(const s_op_spec_t *spec, json_t *root, json_t *detail, pl_err_t *err)
{
    const char *keys[S_MAX_FIELDS + 5] = {"op", "id", "case_no", "by"};
    size_t n = 4;
    for (size_t i = 0; i < S_MAX_FIELDS && spec->fields[i].name; i++) {
        keys[n++] = spec->fields[i].name;
    }
    keys[n] = NULL;
    int rc = pl__check_keys(root, keys, err);
    for (size_t i = 0; rc == 0 && i < S_MAX_FIELDS && spec->fields[i].name; i++) {
        rc = s_field(spec, &spec->fields[i], root, detail, err);
    }
    return rc;
}

/* ---- the outcome --------------------------------------------------------------------------- */

static void s_on_case_op(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    pl__call_t *call = ctx;
    const char *text = status == 0 && rows->count == 1 ? rows->cells[0] : NULL;
    json_t *result = text ? json_loads(text, 0, NULL) : NULL;
    if (status == PL_EAGAIN) {
        pl__reply_error(call, "unavailable", NULL,
                        "plaintd is shutting down and the outcome is unknown; retry");
    } else if (status != 0) {
        pl__reply_error(call, "internal", NULL, message ? message : "database error");
    } else if (!text) {
        pl__reply_error(call, "not_found", "case_no", "no case with that number");
    } else if (!result) {
        pl__reply_error(call, "internal", NULL, "unreadable answer from the database");
    } else if (json_is_true(json_object_get(result, "refused"))) {
        const char *field = json_string_value(json_object_get(result, "field"));
        json_t *error = json_pack("{s:O, s:O, s:O, s:O}", "code", json_object_get(result, "code"),
                                  "message", json_object_get(result, "message"), "status",
                                  json_object_get(result, "status"), "allowed",
                                  json_object_get(result, "allowed"));
        if (error && field) {
            json_object_set_new(error, "field", json_string(field));
        }
        json_t *reply = error ? json_pack("{s:b, s:o}", "ok", 0, "error", error) : NULL;
        pl__reply(call, &reply);
    } else {
        const char *next = json_string_value(json_object_get(result, "next_fire_at"));
        pl_usec_t at = 0;
        if (next && pl_time_parse_rfc3339(next, &at) == 0 && call->broker->escalator) {
            pl_escalator_schedule(call->broker->escalator, at);
        }
        /* An escalation (R22) left a notification in the outbox. */
        if (json_is_true(json_object_get(result, "escalated")) && call->broker->escalator) {
            pl_escalator_nudge(call->broker->escalator);
        }
        json_object_del(result, "next_fire_at");
        json_object_set_new(result, "ok", json_true());
        pl__reply(call, &result);
    }
    json_decref(result);
    pl__call_free(call);
}

static int s_store_error(int rc, pl_err_t *err)
{
    if (rc == PL_EAGAIN) {
        return pl_err_set(err, rc, "unavailable", NULL,
                          "too many requests wait for the database; retry later");
    }
    return pl_err_set(err, rc, "internal", NULL, "the request could not be queued: %s",
                      pl_strerror(rc));
}

/* Queues pl_case_op(case_no, op, actor, detail); detail is consumed. */
static int s_exec(pl_broker_t *broker, pl__call_t *call, const char *case_no, const char *op,
                  const char *actor, json_t *detail, pl_err_t *err)
{
    char *detail_text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    const char *params[] = {case_no, op, actor, detail_text};
    int rc = detail_text
                 ? pl_store_exec(broker->store, "pl_case_op", 4, params, 1, s_on_case_op, call)
                 : PL_ENOMEM;
    free(detail_text);
    return rc ? s_store_error(rc, err) : 0;
}

/* ---- resume: the new due instants come from the calendars -------------------------------- */

typedef struct {
    pl__call_t *call;
    char *case_no;
    char *actor;
} s_resume_t;

static void s_resume_free(s_resume_t *rs)
{
    if (rs) {
        free(rs->case_no);
        free(rs->actor);
        free(rs);
    }
}

static void s_on_paused(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    s_resume_t *rs = ctx;
    pl__call_t *call = rs->call;
    pl_broker_t *broker = call->broker;
    if (status != 0) {
        pl__reply_error(call, status == PL_EAGAIN ? "unavailable" : "internal", NULL,
                        message ? message : "database error");
        pl__call_free(call);
        s_resume_free(rs);
        return;
    }
    /* The pause ends now; each clock adds back the time it counts. */
    const pl_calendars_t *cals = pl_rules_calendars(broker->cfg->rules);
    pl_usec_t now = pl_now();
    json_t *due = json_object(), *paused = json_object();
    for (size_t r = 0; due && paused && r < rows->count; r++) {
        char **row = &rows->cells[r * rows->columns];
        if (!row[0] || !row[3] || !row[4]) {
            continue;
        }
        pl_duration_kind_t clock = PL_DURATION_REAL;
        if (row[1] && strcmp(row[1], "business") == 0) {
            clock = PL_DURATION_BUSINESS;
        } else if (row[1] && strcmp(row[1], "working_days") == 0) {
            clock = PL_DURATION_WORKING_DAYS;
        }
        const pl_calendar_t *cal = pl_calendars_get(cals, row[2]);
        pl_usec_t at = pl_deadline_extend(cal, cal ? clock : PL_DURATION_REAL,
                                          strtoll(row[3], NULL, 10), strtoll(row[4], NULL, 10),
                                          now);
        if (at != PL_CALENDAR_NEVER) {
            json_object_set_new(due, row[0], json_integer(at));
            json_object_set_new(paused, row[0], json_integer(strtoll(row[4], NULL, 10)));
        }
    }
    /* "paused" says which pause the due instants are for. */
    json_t *detail = due && paused ? json_pack("{s:o, s:o}", "due", due, "paused", paused) : NULL;
    if (!detail) {
        json_decref(due);
        json_decref(paused);
    }
    pl_err_t err;
    pl_err_clear(&err);
    if (s_exec(broker, call, rs->case_no, "resume", rs->actor, detail, &err) != 0) {
        pl__reply_error(call, err.reason ? err.reason : "internal", NULL, err.message);
        pl__call_free(call);
    }
    s_resume_free(rs);
}

static int s_resume(pl_broker_t *broker, pl__call_t *call, const char *case_no,
                    const char *actor, pl_err_t *err)
{
    s_resume_t *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->case_no = strdup(case_no)) || !(rs->actor = strdup(actor))) {
        s_resume_free(rs);
        return pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
    }
    rs->call = call;
    const char *params[] = {case_no};
    int rc = pl_store_exec(broker->store, "pl_paused_deadlines", 1, params, 0, s_on_paused, rs);
    if (rc) {
        s_resume_free(rs);
        return s_store_error(rc, err);
    }
    return 0;
}

/* ---- propose: the approval plan depends on the case ------------------------------------- */

typedef struct {
    pl__call_t *call;
    char *case_no;
    char *actor;
    json_t *detail;
} s_propose_t;

static void s_propose_free(s_propose_t *pp)
{
    if (pp) {
        free(pp->case_no);
        free(pp->actor);
        json_decref(pp->detail);
        free(pp);
    }
}

/* The case's kind, category, severity and responsibility are read; the
 * approval matrix gives the plan, which pl_case_op stores if the
 * responsibility is still the one the plan was made for. */
static void s_on_brief(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    s_propose_t *pp = ctx;
    pl__call_t *call = pp->call;
    pl_broker_t *broker = call->broker;
    if (status != 0 || rows->count != 1) {
        if (status == 0) {
            pl__reply_error(call, "not_found", "case_no", "no case with that number");
        } else {
            pl__reply_error(call, status == PL_EAGAIN ? "unavailable" : "internal", NULL,
                            message ? message : "database error");
        }
        pl__call_free(call);
        s_propose_free(pp);
        return;
    }
    char **row = rows->cells;
    const pl_config_t *cfg = broker->cfg;
    json_t *plan = pl_lifecycle_plan(cfg->lifecycle, cfg->rules, row[0], row[1], row[2], row[3],
                                     pl_now());
    int rc = plan ? json_object_set_new(pp->detail, "plan", plan) : PL_ENOMEM;
    if (rc == 0) {
        rc = json_object_set_new(pp->detail, "plan_for", row[3] ? json_string(row[3]) : json_null());
    }
    pl_err_t err;
    pl_err_clear(&err);
    json_t *detail = pp->detail;
    pp->detail = NULL;
    if (rc != 0) {
        json_decref(detail);
        pl__reply_error(call, "internal", NULL, "out of memory");
        pl__call_free(call);
    } else if (s_exec(broker, call, pp->case_no, "propose", pp->actor, detail, &err) != 0) {
        pl__reply_error(call, err.reason ? err.reason : "internal", NULL, err.message);
        pl__call_free(call);
    }
    s_propose_free(pp);
}

static int s_propose(pl_broker_t *broker, pl__call_t *call, const char *case_no,
                     const char *actor, json_t *detail, pl_err_t *err)
{
    s_propose_t *pp = calloc(1, sizeof *pp);
    if (!pp || !(pp->case_no = strdup(case_no)) || !(pp->actor = strdup(actor))) {
        json_decref(detail);
        s_propose_free(pp);
        return pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
    }
    pp->call = call;
    pp->detail = detail;
    const char *params[] = {case_no};
    int rc = pl_store_exec(broker->store, "pl_case_brief", 1, params, 0, s_on_brief, pp);
    if (rc) {
        s_propose_free(pp);
        return s_store_error(rc, err);
    }
    return 0;
}

/* ---- what the configuration adds ----------------------------------------------------------- */

/* assign: `to` is a person (who then handles it, in their department) or a
 * department (nobody in particular yet). */
static int s_add_assignee(const pl_rules_t *rules, json_t *detail, pl_err_t *err)
{
    const char *to = json_string_value(json_object_get(detail, "to"));
    long person = pl_rules_person_find(rules, to);
    if (person >= 0) {
        pl_person_info_t info;
        pl_rules_person_at(rules, (size_t)person, &info);
        json_object_set_new(detail, "assignee", json_string(to));
        if (info.department) {
            json_object_set_new(detail, "department", json_string(info.department));
        }
        return 0;
    }
    switch (pl_rules_directory_kind(rules, to)) {
    case PL_DIRECTORY_DEPARTMENT:
        json_object_set_new(detail, "assignee", json_null());
        json_object_set_new(detail, "department", json_string(to));
        return 0;
    case PL_DIRECTORY_ROLE:
        return pl_err_set(err, PL_EINVAL, "invalid_value", "to",
                          "\"%s\" is a role; assign to a person or a department", to);
    default:
        return pl_err_set(err, PL_ENOENT, "not_found", "to",
                          "no person or department \"%s\" in the directory", to);
    }
}

/* approve, reject: the roles the actor holds (none when not a person). */
static int s_add_actor_roles(const pl_rules_t *rules, const char *actor, json_t *detail)
{
    long person = pl_rules_person_find(rules, actor);
    json_t *roles = person >= 0 ? pl_rules_person_roles(rules, (size_t)person) : json_array();
    return roles ? json_object_set_new(detail, "actor_roles", roles) : PL_ENOMEM;
}

/* followup: who takes the case when it is escalated (R22): the holders of
 * lifecycle.escalate_to with their regions; the database picks the one in
 * the case's region. */
static int s_add_escalation(const pl_config_t *cfg, json_t *detail)
{
    const char *role = pl_lifecycle_escalate_to(cfg->lifecycle);
    if (!role) {
        return 0;
    }
    json_t *people = json_array();
    for (size_t i = 0; people && i < pl_rules_people_count(cfg->rules); i++) {
        pl_person_info_t info;
        if (pl_rules_person_has_role(cfg->rules, i, role) &&
            pl_rules_person_at(cfg->rules, i, &info) == 0) {
            json_array_append_new(people, json_pack("{s:s, s:s?, s:s?}", "id", info.id, "region",
                                                    info.region, "department",
                                                    info.department));
        }
    }
    json_t *esc = people ? json_pack("{s:s, s:o}", "role", role, "people", people) : NULL;
    return esc ? json_object_set_new(detail, "escalate", esc) : PL_ENOMEM;
}

/* ---- the operations ----------------------------------------------------------------------- */

int pl__op_case(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    const char *op = json_string_value(json_object_get(root, "op"));
    const s_op_spec_t *spec = NULL;
    if (strcmp(op, "capa") == 0) {
        spec = json_object_get(root, "verify") ? &s_capa_verify : &s_capa_add;
    }
    for (size_t i = 0; !spec && i < sizeof s_specs / sizeof s_specs[0]; i++) {
        if (strcmp(s_specs[i].op, op) == 0) {
            spec = &s_specs[i];
        }
    }
    if (!spec) {
        return pl_err_set(err, PL_EINVAL, "unknown_op", "op", "unknown op \"%.64s\"", op);
    }
    json_t *detail = json_object();
    const char *case_no = NULL, *by = NULL;
    int rc = detail ? s_fields(spec, root, detail, err)
                    : pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
    if (rc == 0) {
        rc = pl__opt_string(root, "case_no", 64, &case_no, err);
    }
    if (rc == 0 && !case_no) {
        rc = pl_err_set(err, PL_EINVAL, "missing_field", "case_no", "case_no is required");
    }
    if (rc == 0) {
        rc = pl__opt_string(root, "by", 128, &by, err);
    }
    /* Who does it: an authenticated identity, else what the request says. */
    const char *actor = call->user_id[0] ? call->user_id : by ? by : "plaint";
    const pl_config_t *cfg = broker->cfg;
    if (rc == 0 && strcmp(op, "assign") == 0) {
        rc = s_add_assignee(cfg->rules, detail, err);
    } else if (rc == 0 && (strcmp(op, "approve") == 0 || strcmp(op, "reject") == 0)) {
        rc = s_add_actor_roles(cfg->rules, actor, detail) ? PL_ENOMEM : 0;
    } else if (rc == 0 && strcmp(op, "followup") == 0 &&
               json_is_false(json_object_get(detail, "satisfied"))) {
        rc = s_add_escalation(cfg, detail);
    }
    /* A recurring deadline in working time is re-armed in its calendar. */
    if (rc == 0) {
        json_t *rearm = pl_rules_rearm(cfg->rules, pl_now());
        if (!rearm) {
            rc = PL_ENOMEM;
        } else if (json_object_size(rearm) > 0) {
            json_object_set_new(detail, "rearm", rearm);
        } else {
            json_decref(rearm);
        }
    }
    if (rc == PL_ENOMEM && !err->code) {
        pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
    }
    if (rc) {
        json_decref(detail);
        return rc;
    }
    if (strcmp(op, "resume") == 0) {
        json_decref(detail);
        return s_resume(broker, call, case_no, actor, err);
    }
    if (strcmp(op, "propose") == 0) {
        return s_propose(broker, call, case_no, actor, detail, err);
    }
    return s_exec(broker, call, case_no, op, actor, detail, err);
}

/* ---- queries ------------------------------------------------------------------------------- */

/* Answers {"ok":true,"id"?,KEY:<the row's JSON text>} without parsing it. */
static void s_reply_rows(pl__call_t *call, const char *key, int status,
                         const pl_store_rows_t *rows, const char *message)
{
    if (status == 0 && rows->count == 1 && rows->cells[0]) {
        char *id = call->id ? json_dumps(call->id, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        size_t len = strlen(rows->cells[0]) + (id ? strlen(id) : 0) + strlen(key) + 40;
        char *body = malloc(len);
        if (body) {
            int n = id ? snprintf(body, len, "{\"ok\":true,\"id\":%s,\"%s\":%s}", id, key,
                                  rows->cells[0])
                       : snprintf(body, len, "{\"ok\":true,\"%s\":%s}", key, rows->cells[0]);
            pl__send_raw(call, body, (size_t)n);
        }
        free(body);
        free(id);
    } else {
        pl__reply_error(call, status == PL_EAGAIN ? "unavailable" : "internal", NULL,
                        message ? message : "database error");
    }
    pl__call_free(call);
}

static void s_on_overdue(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    s_reply_rows(ctx, "overdue", status, rows, message);
}

/* Reads an optional integer member within [min, max] into *out. */
static int s_opt_int(json_t *root, const char *key, json_int_t min, json_int_t max,
                     json_int_t *out, pl_err_t *err)
{
    json_t *v = json_object_get(root, key);
    if (!v) {
        return 0;
    }
    if (!json_is_integer(v)) {
        return pl_err_set(err, PL_EINVAL, "wrong_type", key, "%s must be an integer, not %s",
                          key, pl_json_type_phrase(v));
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        return pl_err_set(err, PL_EINVAL, "invalid_value", key,
                          "%s must be an integer from %lld to %lld", key, (long long)min,
                          (long long)max);
    }
    *out = json_integer_value(v);
    return 0;
}

int pl__op_overdue(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    static const char *const keys[] = {"op", "id", "limit", NULL};
    json_int_t n = 100;
    int rc = pl__check_keys(root, keys, err);
    if (rc == 0) {
        rc = s_opt_int(root, "limit", 1, 10000, &n, err);
    }
    if (rc) {
        return rc;
    }
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)n);
    const char *params[] = {text};
    rc = pl_store_exec(broker->store, "pl_overdue", 1, params, 0, s_on_overdue, call);
    return rc ? s_store_error(rc, err) : 0;
}

static void s_on_list(void *ctx, int status, const pl_store_rows_t *rows, const char *message)
{
    pl__call_t *call = ctx;
    json_t *reply = status == 0 && rows->count == 1 && rows->cells[0]
                        ? json_loads(rows->cells[0], 0, NULL)
                        : NULL;
    if (reply) {
        json_object_set_new(reply, "ok", json_true());
        pl__reply(call, &reply);
    } else {
        pl__reply_error(call, status == PL_EAGAIN ? "unavailable" : "internal", NULL,
                        message ? message : "database error");
    }
    pl__call_free(call);
}

int pl__op_list(pl_broker_t *broker, pl__call_t *call, json_t *root, pl_err_t *err)
{
    static const char *const keys[] = {"op",       "id",       "status",        "kind",
                                       "category", "department", "assignee",    "overdue",
                                       "received_from", "received_to", "text", "limit",
                                       "offset",   NULL};
    static const char *const strings[] = {"kind", "category", "department", "assignee", NULL};
    json_int_t limit = 50, offset = 0;
    int rc = pl__check_keys(root, keys, err);
    json_t *filter = json_object();
    if (!filter) {
        return pl_err_set(err, PL_ENOMEM, "internal", NULL, "out of memory");
    }
    /* status: one or several of the lifecycle's statuses. */
    json_t *status = json_object_get(root, "status");
    if (rc == 0 && status) {
        json_t *list = json_is_string(status) ? json_pack("[O]", status) : json_incref(status);
        size_t i;
        json_t *s;
        if (!json_is_array(list) || json_array_size(list) == 0) {
            rc = pl_err_set(err, PL_EINVAL, "wrong_type", "status",
                            "status must be a status or a non-empty array of them");
        }
        json_array_foreach(list, i, s) {
            if (rc == 0 && (!json_is_string(s) ||
                            pl_deadline_status_index(json_string_value(s)) < 0)) {
                rc = pl_err_set(err, PL_EINVAL, "invalid_value", "status",
                                "unknown status; expected registered, confirmed, assigned, "
                                "investigating, resolution_proposed, approved, replied, "
                                "followup or closed");
            }
        }
        if (rc == 0) {
            json_object_set(filter, "status", list);
        }
        json_decref(list);
    }
    for (size_t i = 0; rc == 0 && strings[i]; i++) {
        const char *v;
        rc = pl__opt_string(root, strings[i], 128, &v, err);
        if (rc == 0 && v) {
            json_object_set_new(filter, strings[i], json_string(v));
        }
    }
    const char *text;
    if (rc == 0 && (rc = pl__opt_string(root, "text", 200, &text, err)) == 0 && text) {
        json_object_set_new(filter, "text", json_string(text));
    }
    static const char *const times[] = {"received_from", "received_to", NULL};
    for (size_t i = 0; rc == 0 && times[i]; i++) {
        json_t *v = json_object_get(root, times[i]);
        pl_usec_t t;
        if (v && (!json_is_string(v) || pl_time_parse_rfc3339(json_string_value(v), &t) != 0)) {
            rc = pl_err_set(err, PL_EINVAL, json_is_string(v) ? "invalid_value" : "wrong_type",
                            times[i], "%s must be an RFC 3339 time such as 2026-11-01T00:00:00+08:00",
                            times[i]);
        } else if (v) {
            char buf[40];
            pl_time_format_rfc3339(t, buf, sizeof buf);
            json_object_set_new(filter, times[i], json_string(buf));
        }
    }
    json_t *overdue = json_object_get(root, "overdue");
    if (rc == 0 && overdue && !json_is_boolean(overdue)) {
        rc = pl_err_set(err, PL_EINVAL, "wrong_type", "overdue", "overdue must be true or false");
    } else if (rc == 0 && overdue) {
        json_object_set(filter, "overdue", overdue);
    }
    if (rc == 0) {
        rc = s_opt_int(root, "limit", 1, 1000, &limit, err);
    }
    if (rc == 0) {
        rc = s_opt_int(root, "offset", 0, 100000000, &offset, err);
    }
    char *filter_text = rc == 0 ? json_dumps(filter, JSON_COMPACT) : NULL;
    json_decref(filter);
    if (rc) {
        return rc;
    }
    char l[24], o[24];
    snprintf(l, sizeof l, "%lld", (long long)limit);
    snprintf(o, sizeof o, "%lld", (long long)offset);
    const char *params[] = {filter_text, l, o};
    rc = filter_text ? pl_store_exec(broker->store, "pl_case_list", 3, params, 0, s_on_list, call)
                     : PL_ENOMEM;
    free(filter_text);
    return rc ? s_store_error(rc, err) : 0;
}
