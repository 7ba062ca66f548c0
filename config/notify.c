/*
 * notify.c: the `notify` section (config/notify.h): the names of topics,
 * fields and sink types, the built-in templates, the snapshot's lifecycle
 * (defaults, reference count) and its lookups. Its loader is notify_load.c
 * (the section, retry, templates) with notify_sinks.c (each sink).
 */
#include "config/notify.h"

#include "config/notify_internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define S_DEFAULT_RETRY_FIRST (10 * PL_USEC_PER_SEC)
#define S_DEFAULT_RETRY_MAX (30 * PL_USEC_PER_MIN)
#define S_DEFAULT_ATTEMPTS 20

const char *const pl_notify_topics[] = {"case.created", "deadline.warning", "deadline.breached",
                                        "case.escalated", NULL};

const char *const pl_notify_fields[] = {
    "case_no", "topic",    "event", "kind",   "category", "severity", "department", "assignee",
    "region",  "deadline", "label", "due_at", "level",    "warning",  "to",         NULL};

/* One line each: they go to group chats, where a short line reads best.
 * A field the payload lacks prints "-" (workers/notify_render.h). A
 * warning's payload names nobody in "to" (sql/functions.sql, pl_fire_due):
 * it is for the assignee, so its text says so rather than print "-". */
static const char *const s_default_templates[PL_NOTIFY_TOPIC_COUNT] = {
    "【新投诉】{{case_no}}（{{category}}）已受理，责任部门：{{department}}，负责人：{{assignee}}",
    "【即将超时】{{case_no}}「{{label}}」将于 {{due_at}} 到期，请负责人 {{assignee}} 及时处理（第{{warning}}次提醒）",
    "【已超时】{{case_no}}「{{label}}」已于 {{due_at}} 超时，请 {{to}} 尽快处理（第{{level}}级）",
    "【已升级】{{case_no}}「{{label}}」超时未处理，已升级至第{{level}}级：{{to}}",
};

static const char *const s_type_names[] = {NULL, "webhook", "wecom", "dingtalk", "feishu", "email"};

int pl_notify_topic_index(const char *topic)
{
    for (int i = 0; topic && pl_notify_topics[i]; i++) {
        if (strcmp(pl_notify_topics[i], topic) == 0) {
            return i;
        }
    }
    return -1;
}

const char *pl_notify_default_template(int topic)
{
    return topic >= 0 && topic < PL_NOTIFY_TOPIC_COUNT ? s_default_templates[topic] : NULL;
}

const char *pl_sink_type_name(pl_sink_type_t type)
{
    return (int)type >= PL_SINK_WEBHOOK && (int)type <= PL__NOTIFY_SINK_TYPE_LAST
               ? s_type_names[type]
               : NULL;
}

/* ---- the snapshot ---------------------------------------------------------------------------- */

static void s_sink_free(pl_notify_sink_t *sink)
{
    free(sink->id);
    free(sink->url);
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        free(sink->templates[i]);
    }
    free(sink->from);
    for (size_t i = 0; i < sink->to_count; i++) {
        free(sink->to[i]);
    }
    free(sink->to);
    free(sink->username);
    free(sink->password);
}

void pl__notify_free(pl_notify_config_t *cfg)
{
    if (!cfg) {
        return;
    }
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        free(cfg->templates[i]);
    }
    for (size_t i = 0; i < cfg->sinks_count; i++) {
        s_sink_free(&cfg->sinks[i]);
    }
    free(cfg->sinks);
    free(cfg);
}

pl_notify_config_t *pl__notify_new(void)
{
    pl_notify_config_t *cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        return NULL;
    }
    cfg->retry_first = S_DEFAULT_RETRY_FIRST;
    cfg->retry_max = S_DEFAULT_RETRY_MAX;
    cfg->max_attempts = S_DEFAULT_ATTEMPTS;
    cfg->refs = 1;
    return cfg;
}

bool pl__notify_fill_templates(pl_notify_config_t *cfg)
{
    for (int i = 0; i < PL_NOTIFY_TOPIC_COUNT; i++) {
        if (!cfg->templates[i] && !(cfg->templates[i] = strdup(s_default_templates[i]))) {
            return false;
        }
    }
    return true;
}

pl_notify_config_t *pl_notify_new_default(void)
{
    pl_notify_config_t *cfg = pl__notify_new();
    if (cfg && !pl__notify_fill_templates(cfg)) {
        pl__notify_free(cfg);
        cfg = NULL;
    }
    return cfg;
}

/* ---- use ------------------------------------------------------------------------------------- */

const pl_notify_sink_t *pl_notify_sink_get(const pl_notify_config_t *cfg, const char *id)
{
    for (size_t i = 0; cfg && id && i < cfg->sinks_count; i++) {
        if (strcmp(cfg->sinks[i].id, id) == 0) {
            return &cfg->sinks[i];
        }
    }
    return NULL;
}

const char *pl_notify_template(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                               int topic)
{
    if (topic < 0 || topic >= PL_NOTIFY_TOPIC_COUNT) {
        return NULL;
    }
    if (sink && sink->templates[topic]) {
        return sink->templates[topic];
    }
    if (cfg && cfg->templates[topic]) {
        return cfg->templates[topic];
    }
    return s_default_templates[topic];
}

/* `refs` is a plain int in the public struct, so the GCC/Clang __atomic
 * builtins do the work <stdatomic.h> would do on an _Atomic int. The
 * count is the one mutable part of a snapshot. */
const pl_notify_config_t *pl_notify_ref(const pl_notify_config_t *cfg)
{
    if (cfg) {
        __atomic_fetch_add(&((pl_notify_config_t *)cfg)->refs, 1, __ATOMIC_RELAXED);
    }
    return cfg;
}

void pl_notify_unref(const pl_notify_config_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_notify_config_t *cfg = (pl_notify_config_t *)*self_p;
    *self_p = NULL;
    if (__atomic_fetch_sub(&cfg->refs, 1, __ATOMIC_ACQ_REL) == 1) {
        pl__notify_free(cfg);
    }
}
