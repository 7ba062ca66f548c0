/*
 * notify: where the notifier delivers outbox notifications (issue 4,
 * DESIGN.md "notifier"): the top-level `notify` section of the config file.
 *
 *   notify:
 *     retry: {first: 10s, max: 30m, attempts: 20}
 *     templates:                       # message text per topic
 *       deadline.breached: "【超时】{{case_no}} {{label}} 已超时，请 {{to}} 处理"
 *     sinks:
 *       - id: quality_group            # 1-64 bytes, [A-Za-z_][A-Za-z0-9_.-]*
 *         type: wecom                  # webhook | wecom | dingtalk | feishu | email
 *         url_env: PLAINT_WECOM_URL    # or url: "https://..."
 *         topics: [deadline.breached, case.escalated]   # default: every topic
 *         timeout: 10s                 # one attempt, default 10s, 1s..2m
 *         concurrency: 4               # attempts at once, default 4 (email 1), 1..64
 *         templates: {...}             # per-topic text for this sink only
 *       - id: mail
 *         type: email
 *         url: "smtps://mail.example.com:465"
 *         from: "plaint@example.com"
 *         to: ["quality@example.com"]  # fixed addresses (optional)
 *         recipients: true             # also the people a notification names
 *                                      # (their contacts.email), default true
 *         username_env: PLAINT_SMTP_USER
 *         password_env: PLAINT_SMTP_PASSWORD
 *
 * Secrets (webhook keys are part of robot URLs; SMTP passwords) are better
 * kept out of the file: `url_env`, `username_env` and `password_env` name
 * environment variables read at load; a variable that is not set is a load
 * error. The daemon never logs a sink's URL or credentials, only its id.
 *
 * Templates: text with placeholders {{name}}; the names are
 * pl_notify_fields (unknown names are load errors; spaces and tabs inside
 * the braces are allowed, "{{ case_no }}"; a "{{" without "}}" is an
 * error; single braces are plain text). At most PL_NOTIFY_MAX_TEMPLATE
 * bytes of UTF-8, no control characters other than tab and line breaks.
 * Topics are pl_notify_topics (unknown topics are load errors). A topic
 * without a template uses the built-in one (pl_notify_default_template).
 *
 * A loaded section is immutable and reference counted (atomically): the
 * notifier thread keeps the snapshot its deliveries started with while a
 * reload swaps in a new one.
 */
#ifndef PL_NOTIFY_H
#define PL_NOTIFY_H

#include "common/pl_err.h"
#include "common/pl_time.h"
#include "config/yaml.h"

#include <stdbool.h>
#include <stddef.h>

#define PL_NOTIFY_MAX_SINKS 64
#define PL_NOTIFY_MAX_TEMPLATE 4096 /* bytes of one template */
#define PL_NOTIFY_MAX_TO 100        /* fixed addresses of one e-mail sink */

/* The topics the outbox carries, NULL-terminated: case.created,
 * deadline.warning, deadline.breached, case.escalated. */
extern const char *const pl_notify_topics[];
#define PL_NOTIFY_TOPIC_COUNT 4

/* pl_notify_topic_index: index of `topic` in pl_notify_topics, or -1. */
int pl_notify_topic_index(const char *topic);

/* The placeholder names templates may use, NULL-terminated: case_no,
 * topic, event (the topic in words), kind, category, severity, department,
 * assignee, region, deadline, label, due_at (local time in the default
 * calendar's zone, "2026-11-28 17:00"), level, warning, to (the names of
 * the people told, joined with "、"). */
extern const char *const pl_notify_fields[];

/* pl_notify_default_template: the built-in text for topic index i (a
 * static string), or NULL when i is not a topic index. */
const char *pl_notify_default_template(int topic);

typedef enum {
    PL_SINK_WEBHOOK = 1, /* generic: POST {"topic","key","text","payload","recipients"} */
    PL_SINK_WECOM,       /* WeCom (企业微信) group robot */
    PL_SINK_DINGTALK,    /* DingTalk (钉钉) group robot */
    PL_SINK_FEISHU,      /* Feishu/Lark (飞书) group robot */
    PL_SINK_EMAIL,       /* SMTP (smtp:// or smtps://) */
} pl_sink_type_t;

/* pl_sink_type_name: "webhook", "wecom", "dingtalk", "feishu", "email"
 * (static strings); NULL for any other value. */
const char *pl_sink_type_name(pl_sink_type_t type);

typedef struct pl_notify_sink {
    char *id;
    pl_sink_type_t type;
    char *url; /* http:// or https:// (webhooks), smtp:// or smtps:// (email) */
    /* topics[i] is true when the sink takes topic pl_notify_topics[i]. */
    bool topics[PL_NOTIFY_TOPIC_COUNT];
    pl_usec_t timeout; /* one attempt, connect included */
    int concurrency;
    /* Per-topic text for this sink; NULL = the section's template. */
    char *templates[PL_NOTIFY_TOPIC_COUNT];
    /* email only (NULL / 0 otherwise) */
    char *from;
    char **to; /* fixed addresses */
    size_t to_count;
    bool recipients; /* also mail the people a notification names */
    /* smtp://: false (starttls: required, the default) refuses to send
     * when the server does not offer STARTTLS, so credentials and mail
     * never cross the network in clear; true (optional) sends in clear
     * then. smtps:// is encrypted from the start either way. */
    bool starttls_optional;
    char *username, *password;
} pl_notify_sink_t;

typedef struct pl_notify_config pl_notify_config_t;
struct pl_notify_config {
    /* Back-off between attempts of one delivery: first, doubled each time,
     * capped at max; after `attempts` failed attempts the delivery is dead. */
    pl_usec_t retry_first; /* default 10s, 1s..1h */
    pl_usec_t retry_max;   /* default 30m, >= retry_first, <= 24h */
    int max_attempts;      /* default 20, 1..1000 */
    /* Text per topic: the file's, else the built-in one; never NULL. */
    char *templates[PL_NOTIFY_TOPIC_COUNT];
    pl_notify_sink_t *sinks;
    size_t sinks_count;
    int refs; /* atomic; use pl_notify_ref/unref */
};

/* pl_notify_report_fn: receives one load error (borrowed for the call). */
typedef void (*pl_notify_report_fn)(const pl_err_t *err, void *arg);

/*
 * pl_notify_load_yaml: reads the top-level `notify` of `root`, the root
 * mapping of `doc` (both borrowed; root may be NULL; other keys ignored).
 * Without `notify` (or with `notify:` left empty): no sinks, the
 * defaults. Environment variables named by the *_env keys are read now.
 * Every error is passed to `report` (may be NULL) with code PL_ECONFIG (or
 * PL_ENOMEM), the document's name, line and column, key path in the
 * message ("notify.sinks[1].url: ..."), never a URL or credential; loading
 * goes on after an error. Returns a new section with one reference
 * (release with pl_notify_unref), or NULL if any error was reported.
 */
pl_notify_config_t *pl_notify_load_yaml(const pl_yaml_doc_t *doc, const pl_yaml_node_t *root,
                                        pl_notify_report_fn report, void *arg);

/* pl_notify_new_default: no sinks, the defaults. Returns a new section
 * with one reference (release with pl_notify_unref), or NULL when out of
 * memory. */
pl_notify_config_t *pl_notify_new_default(void);

/* pl_notify_sink_get: the sink `id` (borrowed; valid as long as `cfg`),
 * or NULL; `cfg` and `id` may be NULL. */
const pl_notify_sink_t *pl_notify_sink_get(const pl_notify_config_t *cfg, const char *id);

/* pl_notify_template: the text `sink` uses for topic index i: the sink's
 * own, else the section's, else the built-in one (`sink` and `cfg` may be
 * NULL). Valid as long as `cfg`; NULL when i is not a topic index. */
const char *pl_notify_template(const pl_notify_config_t *cfg, const pl_notify_sink_t *sink,
                               int topic);

/* pl_notify_ref / pl_notify_unref: reference counting (atomic); unref frees
 * with the last reference and sets *self_p to NULL. Both accept NULL. */
const pl_notify_config_t *pl_notify_ref(const pl_notify_config_t *cfg);
void pl_notify_unref(const pl_notify_config_t **self_p);

#endif
