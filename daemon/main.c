/*
 * plaintd: argument parsing, configuration, and the loop. The work is done
 * by the broker (ZeroMQ) and the store (PostgreSQL).
 */
#include "common/pl_err.h"
#include "common/pl_log.h"
#include "common/pl_time.h"
#include "config/config.h"
#include "config/event.h"
#include "daemon/broker.h"
#include "daemon/deliver.h"
#include "daemon/escalator.h"
#include "daemon/migrate.h"
#include "daemon/store.h"
#include "workers/classifier.h"
#include "workers/escalation.h"
#include "workers/router.h"
#include "workers/work.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zmq.h>

typedef struct s_daemon {
    uv_loop_t loop;
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t drain_timer;
    void *zctx;
    pl_store_t *store;
    pl_broker_t *broker;
    pl_escalator_t *escalator;
    pl_deliver_t *deliver;
    pl_config_t *cfg;
    const char *config_path;
    int drain_timeout_ms;
    int stopping;
    int closing;
} s_daemon_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: plaintd --config FILE [--db CONNINFO] [--ingest ENDPOINT]\n"
            "               [--publish ENDPOINT] [--log-level LEVEL] [--wait-db SECONDS]\n"
            "               [--drain-timeout SECONDS]\n"
            "       plaintd --check-config FILE\n"
            "       plaintd --explain --config FILE [--file EVENT.json]\n"
            "       plaintd --version\n"
            "\n"
            "  --config FILE        the YAML configuration (see config/README.md)\n"
            "  --db CONNINFO        overrides database.url (and PLAINT_DATABASE_URL)\n"
            "  --ingest ENDPOINT    overrides listen.ingest (ROUTER socket)\n"
            "  --publish ENDPOINT   overrides listen.publish (PUB socket)\n"
            "  --log-level LEVEL    error, warn, info or debug; overrides log.level\n"
            "  --wait-db SECONDS    how long to wait for the database at start (30)\n"
            "  --drain-timeout SEC  on SIGTERM, how long to wait for in-flight work (10)\n"
            "  --check-config FILE  validate FILE, print file:line:column: message for\n"
            "                       each error (exit 1) or a summary (exit 0)\n"
            "  --explain            classify and route one event (JSON from --file or\n"
            "                       stdin) with the rules in --config; nothing is stored\n"
            "\n"
            "Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the configuration.\n");
}

static void s_print_errors(const pl_errlist_t *errs)
{
    char line[1024];
    for (size_t i = 0; i < errs->count; i++) {
        fprintf(stderr, "%s\n", pl_err_format(&errs->items[i], line, sizeof line));
    }
}

static int s_check_config(const char *path)
{
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(path, &errs);
    if (!cfg) {
        s_print_errors(&errs);
        fprintf(stderr, "%s: %zu error%s\n", path, errs.count, errs.count == 1 ? "" : "s");
        pl_errlist_free(&errs);
        return 1;
    }
    pl_rules_stats_t st;
    pl_rules_get_stats(cfg->rules, &st);
    printf("%s: ok: %zu categories, %zu tags, %zu kind rules, %zu routing rules, %zu keywords, "
           "%zu departments, %zu roles, %zu people; ingest %s, publish %s, case numbers %s, "
           "%zu kinds; version %.12s\n",
           path, st.categories, st.tags, st.kind_rules, st.routing, st.keywords, st.departments,
           st.roles, st.people, cfg->listen_ingest, cfg->listen_publish, cfg->case_number_format,
           cfg->kinds_count, cfg->version);
    pl_config_destroy(&cfg);
    pl_errlist_free(&errs);
    return 0;
}

static void s_publish(void *arg, const char *topic, const char *payload)
{
    pl_broker_publish(arg, topic, payload);
}

static void s_on_handle_closed(uv_handle_t *handle)
{
    (void)handle;
}

static void s_close_all(s_daemon_t *d)
{
    if (d->closing) {
        return;
    }
    d->closing = 1;
    /* The store first: what it still holds is answered while sockets live. */
    pl_store_close(d->store, NULL, NULL);
    d->store = NULL;
    pl_escalator_close(d->escalator);
    d->escalator = NULL;
    pl_deliver_close(d->deliver);
    d->deliver = NULL;
    pl_broker_close(d->broker, NULL, NULL);
    d->broker = NULL;
    uv_timer_stop(&d->drain_timer);
    uv_close((uv_handle_t *)&d->drain_timer, s_on_handle_closed);
    uv_close((uv_handle_t *)&d->sigint, s_on_handle_closed);
    uv_close((uv_handle_t *)&d->sigterm, s_on_handle_closed);
    uv_close((uv_handle_t *)&d->sighup, s_on_handle_closed);
}

static void s_on_store_drained(void *arg)
{
    s_daemon_t *d = arg;
    pl_log(PL_LOG_INFO, "plaintd", "drained; exiting");
    s_close_all(d);
}

static void s_on_broker_drained(void *arg)
{
    s_daemon_t *d = arg;
    /* Replies are out; let the dead letters reach the database too. */
    pl_store_on_drained(d->store, s_on_store_drained, d);
}

static void s_on_drain_timeout(uv_timer_t *timer)
{
    s_daemon_t *d = timer->data;
    pl_log(PL_LOG_WARN, "plaintd",
           "drain timed out with %zu requests unanswered; they were not acknowledged",
           pl_broker_outstanding(d->broker));
    s_close_all(d);
}

static void s_on_stop(uv_signal_t *handle, int signum)
{
    s_daemon_t *d = handle->data;
    if (d->closing) {
        return;
    }
    if (d->stopping) {
        pl_log(PL_LOG_WARN, "plaintd", "second signal; stopping now");
        s_close_all(d);
        return;
    }
    d->stopping = 1;
    pl_log(PL_LOG_INFO, "plaintd", "%s: draining %zu requests",
           signum == SIGINT ? "SIGINT" : "SIGTERM", pl_broker_outstanding(d->broker));
    uv_timer_start(&d->drain_timer, s_on_drain_timeout, (uint64_t)d->drain_timeout_ms, 0);
    /* Deliveries not taken yet wait in the database for the next start. */
    pl_deliver_quiesce(d->deliver);
    pl_broker_drain(d->broker, s_on_broker_drained, d);
}

/*
 * Loads the file again; a valid one replaces the configuration and rules
 * for new work (items in flight keep the rules they started with), an
 * invalid one changes nothing. Returns 0 or PL_ECONFIG with errs filled.
 */
static int s_reload(void *arg, pl_errlist_t *errs)
{
    s_daemon_t *d = arg;
    pl_config_t *cfg = pl_config_load_file(d->config_path, errs);
    if (!cfg) {
        char line[1024];
        for (size_t i = 0; i < errs->count; i++) {
            pl_log(PL_LOG_ERROR, "plaintd", "reload refused: %s",
                   pl_err_format(&errs->items[i], line, sizeof line));
        }
        return PL_ECONFIG;
    }
    if (strcmp(cfg->listen_ingest, d->cfg->listen_ingest) != 0 ||
        strcmp(cfg->listen_publish, d->cfg->listen_publish) != 0 ||
        strcmp(cfg->database_url, d->cfg->database_url) != 0) {
        pl_log(PL_LOG_WARN, "plaintd",
               "listen and database settings changed; they take effect at the next restart");
    }
    if (pl_store_set_case_format(d->store, cfg->case_number_template, cfg->case_number_width,
                                 cfg->timezone) != 0) {
        pl_err_t oom;
        pl_err_set(&oom, PL_ENOMEM, "internal", NULL, "out of memory");
        pl_errlist_append(errs, &oom);
        pl_log(PL_LOG_ERROR, "plaintd", "reload refused: out of memory");
        pl_config_destroy(&cfg);
        return PL_ENOMEM;
    }
    if (pl_deliver_set_config(d->deliver, cfg->notify, cfg->rules) != 0) {
        pl_err_t oom;
        pl_err_set(&oom, PL_ENOMEM, "internal", NULL, "out of memory");
        pl_errlist_append(errs, &oom);
        pl_log(PL_LOG_ERROR, "plaintd", "reload refused: out of memory");
        pl_config_destroy(&cfg);
        return PL_ENOMEM;
    }
    pl_broker_set_config(d->broker, cfg);
    pl_log_threshold = (pl_log_level_t)cfg->log_level;
    pl_config_destroy(&d->cfg);
    d->cfg = cfg;
    pl_log(PL_LOG_INFO, "plaintd", "configuration reloaded rules_version=%.12s",
           pl_rules_version(cfg->rules));
    return 0;
}

static void s_on_reload(uv_signal_t *handle, int signum)
{
    (void)signum;
    pl_errlist_t errs = {0};
    s_reload(handle->data, &errs);
    pl_errlist_free(&errs);
}

/* plaintd --explain: classify and route one event against a file, offline. */
static int s_explain(const char *config_path, const char *event_path)
{
    pl_errlist_t errs = {0};
    pl_config_t *cfg = pl_config_load_file(config_path, &errs);
    if (!cfg) {
        s_print_errors(&errs);
        pl_errlist_free(&errs);
        return 1;
    }
    pl_errlist_free(&errs);
    json_error_t jerr;
    json_t *obj = event_path && strcmp(event_path, "-") != 0
                      ? json_load_file(event_path, JSON_REJECT_DUPLICATES, &jerr)
                      : json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        fprintf(stderr, "%s:%d:%d: %s\n", event_path ? event_path : "stdin", jerr.line,
                jerr.column, jerr.text);
        pl_config_destroy(&cfg);
        return 1;
    }
    /* A request object {"op":"explain","event":{...}} is accepted too. */
    json_t *event_json = json_object_get(obj, "event") ? json_object_get(obj, "event") : obj;
    if (json_is_object(event_json) && !json_object_get(event_json, "event_id")) {
        json_object_set_new(event_json, "event_id", json_string("explain"));
    }
    int kind_given = json_is_object(event_json) && json_object_get(event_json, "kind") != NULL;
    pl_err_t err;
    pl_err_clear(&err);
    pl_event_opts_t opts = {.kinds = (const char *const *)cfg->kinds};
    pl_event_t *event = pl_event_from_json(event_json, pl_now(), &opts, &err);
    json_decref(obj);
    if (!event) {
        fprintf(stderr, "plaintd: %s (field %s, %s)\n", err.message,
                err.field[0] ? err.field : "-", err.reason ? err.reason : "invalid");
        pl_config_destroy(&cfg);
        return 1;
    }
    /* The same workers the daemon runs, called in line: the same answer. */
    json_t *out = NULL;
    pl_work_t *work = pl_work_new(&event, kind_given, cfg->rules);
    pl_classifier_t *classifier = pl_classifier_new();
    pl_router_t *router = pl_router_new();
    pl_escalation_t *escalation = pl_escalation_new();
    if (work && classifier && router && escalation) {
        work->explain = 1;
        if (pl_classifier_handle(classifier, work) == 0 && pl_router_handle(router, work) == 0 &&
            pl_escalation_handle(escalation, work) == 0) {
            out = pl_work_decision_json(work);
        }
    }
    if (out) {
        json_object_set_new(out, "kind_given", json_boolean(kind_given));
        json_object_set_new(out, "stored", json_false());
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        fprintf(stderr, "plaintd: out of memory\n");
    }
    json_decref(out);
    pl_classifier_destroy(&classifier);
    pl_router_destroy(&router);
    pl_escalation_destroy(&escalation);
    pl_work_destroy(&work);
    pl_event_destroy(&event);
    pl_config_destroy(&cfg);
    return out ? 0 : 1;
}

int main(int argc, char **argv)
{
    enum {
        OPT_DB = 256,
        OPT_INGEST,
        OPT_PUBLISH,
        OPT_CHECK,
        OPT_LOG,
        OPT_WAIT,
        OPT_DRAIN,
        OPT_EXPLAIN,
        OPT_FILE
    };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, OPT_DB},
        {"ingest", required_argument, NULL, OPT_INGEST},
        {"publish", required_argument, NULL, OPT_PUBLISH},
        {"check-config", required_argument, NULL, OPT_CHECK},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"wait-db", required_argument, NULL, OPT_WAIT},
        {"drain-timeout", required_argument, NULL, OPT_DRAIN},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"file", required_argument, NULL, OPT_FILE},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL, *db = NULL, *ingest = NULL, *publish = NULL;
    const char *log_level = NULL;
    const char *event_file = NULL;
    int wait_db = 30, drain_s = 10, explain = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:hV", options, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case OPT_DB: db = optarg; break;
        case OPT_INGEST: ingest = optarg; break;
        case OPT_PUBLISH: publish = optarg; break;
        case OPT_CHECK: return s_check_config(optarg);
        case OPT_LOG: log_level = optarg; break;
        case OPT_WAIT: wait_db = atoi(optarg); break;
        case OPT_DRAIN: drain_s = atoi(optarg); break;
        case OPT_EXPLAIN: explain = 1; break;
        case OPT_FILE: event_file = optarg; break;
        case 'V': printf("plaintd %s\n", PL_VERSION); return 0;
        case 'h': s_usage(stdout); return 0;
        default: s_usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "plaintd: unexpected argument \"%s\"\n", argv[optind]);
        s_usage(stderr);
        return 2;
    }
    if (!config_path) {
        fprintf(stderr, "plaintd: --config FILE is required\n");
        s_usage(stderr);
        return 2;
    }
    if (explain) {
        return s_explain(config_path, event_file);
    }
    if (wait_db < 0 || drain_s < 0) {
        fprintf(stderr, "plaintd: --wait-db and --drain-timeout take seconds >= 0\n");
        return 2;
    }

    s_daemon_t d;
    memset(&d, 0, sizeof d);
    d.config_path = config_path;
    d.drain_timeout_ms = drain_s * 1000;
    pl_errlist_t errs = {0};
    d.cfg = pl_config_load_file(config_path, &errs);
    if (!d.cfg) {
        s_print_errors(&errs);
        pl_errlist_free(&errs);
        return 1;
    }
    pl_errlist_free(&errs);

    /* Precedence: flag, then environment, then file. */
    const char *env_db = getenv("PLAINT_DATABASE_URL");
    const char *conninfo = db ? db : (env_db && env_db[0] ? env_db : d.cfg->database_url);
    ingest = ingest ? ingest : d.cfg->listen_ingest;
    publish = publish ? publish : d.cfg->listen_publish;
    pl_log_threshold = (pl_log_level_t)d.cfg->log_level;
    if (log_level) {
        int level = pl_log_parse_level(log_level);
        if (level < 0) {
            fprintf(stderr, "plaintd: --log-level must be error, warn, info or debug\n");
            pl_config_destroy(&d.cfg);
            return 2;
        }
        pl_log_threshold = (pl_log_level_t)level;
    }

    pl_err_t err;
    pl_err_clear(&err);
    if (pl_migrate_prepare(conninfo, wait_db, &err) != 0) {
        pl_log(PL_LOG_ERROR, "plaintd", "%s", err.message);
        pl_config_destroy(&d.cfg);
        return 1;
    }

    uv_loop_init(&d.loop);
    d.zctx = zmq_ctx_new();
    pl_store_opts_t store_opts = {
        .conninfo = conninfo,
        .case_template = d.cfg->case_number_template,
        .case_width = d.cfg->case_number_width,
        .timezone = d.cfg->timezone,
        .batch_max = d.cfg->batch_max,
        .queue_max = d.cfg->queue_max,
        .reconnect_max_ms = d.cfg->reconnect_max_ms,
    };
    d.store = pl_store_new(&d.loop, &store_opts);
    if (d.store) {
        d.broker = pl_broker_new(&d.loop, d.zctx, d.store, d.cfg, ingest, publish, &err);
        if (!d.broker) {
            pl_log(PL_LOG_ERROR, "plaintd", "%s", err.message);
        }
    } else {
        pl_log(PL_LOG_ERROR, "plaintd", "out of memory");
    }
    if (!d.broker) {
        if (d.store) {
            pl_store_close(d.store, NULL, NULL);
        }
        uv_run(&d.loop, UV_RUN_DEFAULT);
        uv_loop_close(&d.loop);
        zmq_ctx_term(d.zctx);
        pl_config_destroy(&d.cfg);
        return 1;
    }

    d.escalator = pl_escalator_new(&d.loop, d.store, s_publish, d.broker);
    d.deliver = d.escalator ? pl_deliver_new(&d.loop, d.zctx, d.store, &err) : NULL;
    if (d.deliver && pl_deliver_set_config(d.deliver, d.cfg->notify, d.cfg->rules) != 0) {
        pl_deliver_close(d.deliver);
        d.deliver = NULL;
    }
    if (!d.escalator || !d.deliver) {
        pl_log(PL_LOG_ERROR, "plaintd", "%s", err.code ? err.message : "out of memory");
        if (d.escalator) {
            pl_escalator_close(d.escalator);
        }
        pl_store_close(d.store, NULL, NULL);
        pl_broker_close(d.broker, NULL, NULL);
        uv_run(&d.loop, UV_RUN_DEFAULT);
        uv_loop_close(&d.loop);
        zmq_ctx_term(d.zctx);
        pl_config_destroy(&d.cfg);
        return 1;
    }
    pl_broker_set_escalator(d.broker, d.escalator);
    pl_escalator_set_deliver(d.escalator, d.deliver);
    uv_timer_init(&d.loop, &d.drain_timer);
    d.drain_timer.data = &d;
    uv_signal_init(&d.loop, &d.sigint);
    uv_signal_init(&d.loop, &d.sigterm);
    uv_signal_init(&d.loop, &d.sighup);
    d.sigint.data = d.sigterm.data = d.sighup.data = &d;
    uv_signal_start(&d.sigint, s_on_stop, SIGINT);
    uv_signal_start(&d.sigterm, s_on_stop, SIGTERM);
    uv_signal_start(&d.sighup, s_on_reload, SIGHUP);
    pl_broker_set_reload(d.broker, s_reload, &d);

    pl_store_start(d.store);
    pl_escalator_start(d.escalator);
    pl_deliver_start(d.deliver);
    pl_broker_start(d.broker);
    pl_log(PL_LOG_INFO, "plaintd", "plaintd %s listening ingest=%s publish=%s config=%s", PL_VERSION,
           ingest, publish, config_path);

    uv_run(&d.loop, UV_RUN_DEFAULT);

    int rc = uv_loop_close(&d.loop);
    if (rc != 0) {
        pl_log(PL_LOG_WARN, "plaintd", "loop closed with handles open: %s", uv_strerror(rc));
    }
    zmq_ctx_term(d.zctx);
    pl_config_destroy(&d.cfg);
    pl_log(PL_LOG_INFO, "plaintd", "stopped");
    return 0;
}
