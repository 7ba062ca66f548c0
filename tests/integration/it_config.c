/*
 * it_config: plaintd's configuration and life cycle, run for real:
 * --check-config, the database settings it refuses, where the database URL
 * comes from (--db, PLAINT_DATABASE_URL, the file), two daemons starting on
 * one fresh database, SIGTERM and SIGHUP.
 * Run one test with: it_config NAME
 */
#include "it.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define S_TIMEOUT_MS 5000
#define S_NOWHERE "host=/nonexistent-plaint-it dbname=nowhere connect_timeout=1"

/* ---- helpers ------------------------------------------------------------------ */

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *s_shipped_config(void)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/config/plaint.yaml", it_source_dir());
    return path;
}

/* Submits a minimal new event and returns the case number (caller frees). */
static char *s_submit(const it_daemon_t *d, const char *event_id)
{
    json_t *request = json_pack("{s:s, s:{s:s, s:s, s:s}}", "op", "submit", "event", "event_id",
                                event_id, "source", "it-config", "content", "配置测试");
    json_t *reply = it_request_json(d->ingest, request, S_TIMEOUT_MS);
    json_decref(request);
    if (!reply) {
        it_daemon_log_tail(d, 30);
    }
    IT_CHECK(reply != NULL);
    if (!json_is_true(json_object_get(reply, "ok"))) {
        char *text = json_dumps(reply, JSON_COMPACT);
        fprintf(stderr, "reply: %s\n", text ? text : "?");
        free(text);
    }
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    const char *case_no = json_string_value(json_object_get(reply, "case_no"));
    IT_CHECK(case_no != NULL);
    char *copy = strdup(case_no);
    json_decref(reply);
    return copy;
}

/* The ping reply (caller decrefs); fails when there is none. */
static json_t *s_ping(const it_daemon_t *d)
{
    json_t *reply = it_request(d->ingest, "{\"op\":\"ping\"}", 13, S_TIMEOUT_MS);
    IT_CHECK(reply != NULL);
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
    return reply;
}

/* True when some line of `text` starts with `prefix`. */
static int s_has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static int s_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }
    return n;
}

/* Migrations shipped in sql/: files named NNN_*.sql. */
static long s_migration_count(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sql", it_source_dir());
    DIR *d = opendir(dir);
    IT_CHECK(d != NULL);
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += it_match(e->d_name, "^[0-9]+_.*\\.sql$");
    }
    closedir(d);
    IT_CHECK(n > 0);
    return n;
}

/* ---- --check-config --------------------------------------------------------------- */

static void test_check_config_ok(void)
{
    const char *argv[] = {"plaintd", "--check-config", s_shipped_config(), NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(argv, NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "stdout: %s\nstderr: %s\n", out, err);
    }
    IT_CHECK_INT(rc, 0);
    /* One line of summary. */
    size_t len = strlen(out);
    IT_CHECK(len > 1 && out[len - 1] == '\n');
    IT_CHECK(strchr(out, '\n') == out + len - 1);
    IT_CHECK(strstr(out, "ok") != NULL);
    IT_CHECK(strstr(out, "TS-{year}-{seq:6}") != NULL);
    IT_CHECK_STR(err, "");
    free(out);
    free(err);
}

static void test_check_config_errors(void)
{
    static const char text[] = "# three mistakes\n"                    /* 1 */
                               "database:\n"                           /* 2 */
                               "  url: \"dbname=x\"\n"                 /* 3 */
                               "listen:\n"                             /* 4 */
                               "  ingest: \"tcp://127.0.0.1:5555\"\n"  /* 5 */
                               "  colour: blue\n"                      /* 6: unknown key */
                               "intake:\n"                             /* 7 */
                               "  case_number: \"TS-{month}-{seq}\"\n" /* 8: bad format */
                               "  max_depth: \"deep\"\n"               /* 9: wrong type */
                               "log:\n"                                /* 10 */
                               "  level: info\n";                      /* 11 */
    char *path = it_temp_file("errors.yaml", text);
    const char *argv[] = {"plaintd", "--check-config", path, NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(argv, NULL, &out, &err);
    if (rc != 1) {
        fprintf(stderr, "stdout: %s\nstderr: %s\n", out, err);
    }
    IT_CHECK_INT(rc, 1);
    IT_CHECK_STR(out, "");
    /* Every error, each as FILE:LINE:COLUMN: message. */
    char prefix[1200];
    static const struct {
        int line, column;
        const char *word;
    } want[] = {{6, 3, "colour"}, {8, 16, "case_number"}, {9, 14, "max_depth"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(prefix, sizeof prefix, "%s:%d:%d: ", path, want[i].line, want[i].column);
        if (!s_has_line(err, prefix)) {
            fprintf(stderr, "stderr:\n%s\nno line starting with \"%s\"\n", err, prefix);
        }
        IT_CHECK(s_has_line(err, prefix));
        char *line = strstr(err, prefix);
        size_t n = strcspn(line, "\n");
        char copy[1024];
        snprintf(copy, sizeof copy, "%.*s", (int)(n < sizeof copy ? n : sizeof copy - 1), line);
        IT_CHECK(strstr(copy, want[i].word) != NULL);
    }
    /* And no error elsewhere. */
    snprintf(prefix, sizeof prefix, "%s:", path);
    int located = 0;
    for (const char *p = err; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, strlen(prefix)) == 0 &&
            it_match(p + strlen(prefix), "^[0-9]+:[0-9]+: ")) {
            located++;
        }
    }
    IT_CHECK_INT(located, 3);
    free(out);
    free(err);

    /* A file that is not there. */
    const char *missing[] = {"plaintd", "--check-config", "/nonexistent/plaint.yaml", NULL};
    rc = it_run(missing, NULL, &out, &err);
    IT_CHECK_INT(rc, 1);
    IT_CHECK(strstr(err, "/nonexistent/plaint.yaml") != NULL);
    free(out);
    free(err);
    free(path);
}

/* ---- the database ---------------------------------------------------------------- */

static void test_refuses_synchronous_commit_off(void)
{
    char *db = strdup(it_db_fresh());
    char *name = it_sql(db, "SELECT current_database()");
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" SET synchronous_commit = off", name);
    free(it_sql(db, sql));

    char ingest[64], publish[64];
    snprintf(ingest, sizeof ingest, "tcp://127.0.0.1:%d", it_free_port());
    snprintf(publish, sizeof publish, "tcp://127.0.0.1:%d", it_free_port());
    const char *argv[] = {"plaintd",  "--config", s_shipped_config(), "--db",  db,
                          "--ingest", ingest,     "--publish",        publish, "--wait-db",
                          "3",        NULL};
    char *out = NULL, *err = NULL;
    long long start = s_now_ms();
    int rc = it_run(argv, NULL, &out, &err);
    if (rc == 0 || !strstr(err, "synchronous_commit")) {
        fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    }
    IT_CHECK(rc != 0);
    IT_CHECK(strstr(err, "synchronous_commit") != NULL);
    IT_CHECK(s_now_ms() - start < 10000);
    /* It refused before touching the schema. */
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'cases'"), 0);
    free(out);
    free(err);
    free(name);
    free(db);
}

static void test_env_database_url(void)
{
    char *db = strdup(it_db_fresh());
    char config[512];
    snprintf(config, sizeof config,
             "database:\n"
             "  url: \"%s\"\n",
             S_NOWHERE);
    char *path = it_temp_file("envurl.yaml", config);

    /* The file alone points nowhere: plaintd gives up. */
    unsetenv("PLAINT_DATABASE_URL");
    char ingest[64], publish[64];
    snprintf(ingest, sizeof ingest, "tcp://127.0.0.1:%d", it_free_port());
    snprintf(publish, sizeof publish, "tcp://127.0.0.1:%d", it_free_port());
    const char *argv[] = {"plaintd",   "--config", path,        "--ingest", ingest,
                          "--publish", publish,    "--wait-db", "1",        NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(argv, NULL, &out, &err);
    IT_CHECK(rc != 0);
    free(out);
    free(err);

    /* With PLAINT_DATABASE_URL, that is used. */
    setenv("PLAINT_DATABASE_URL", db, 1);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    static const char *const extra[] = {"--wait-db", "5", NULL};
    it_daemon_start(&d, NULL, path, extra);
    unsetenv("PLAINT_DATABASE_URL");
    json_t *ping = s_ping(&d);
    IT_CHECK_STR(json_string_value(json_object_get(ping, "database")), "up");
    json_decref(ping);
    free(s_submit(&d, "env-1"));
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases WHERE event_id = 'env-1'"), 1);
    it_daemon_stop(&d);
    free(path);
    free(db);
}

static void test_db_flag_overrides_env(void)
{
    char *db = strdup(it_db_fresh());
    setenv("PLAINT_DATABASE_URL", S_NOWHERE, 1);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    static const char *const extra[] = {"--wait-db", "5", NULL};
    it_daemon_start(&d, db, NULL, extra);
    unsetenv("PLAINT_DATABASE_URL");
    free(s_submit(&d, "flag-1"));
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases WHERE event_id = 'flag-1'"), 1);
    it_daemon_stop(&d);
    free(db);
}

static void test_two_daemons_one_database(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    /* Started together: both race for the migrations. */
    it_daemon_spawn(&a, db, NULL, NULL);
    it_daemon_spawn(&b, db, NULL, NULL);
    it_daemon_ready(&a, 20000);
    it_daemon_ready(&b, 20000);

    long migrations = s_migration_count();
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM schema_migrations"), migrations);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(DISTINCT version) FROM schema_migrations"),
                 migrations);

    /* Both serve, numbering from one counter. */
    char *ca = s_submit(&a, "two-a");
    char *cb = s_submit(&b, "two-b");
    IT_CHECK(strcmp(ca, cb) != 0);
    char *again = s_submit(&b, "two-a");
    IT_CHECK_STR(again, ca);
    IT_CHECK_INT(it_sql_long(db, "SELECT count(*) FROM cases"), 2);
    free(ca);
    free(cb);
    free(again);

    it_daemon_stop(&a);
    it_daemon_stop(&b);
    /* Each migration was applied by one of them only. */
    char *la = it_read_file(a.log, NULL);
    char *lb = it_read_file(b.log, NULL);
    IT_CHECK(la && lb);
    IT_CHECK_INT(s_count(la, "applied migration") + s_count(lb, "applied migration"), migrations);
    free(la);
    free(lb);
    free(db);
}

/* ---- signals ----------------------------------------------------------------------- */

static void test_sigterm_idle(void)
{
    char *db = strdup(it_db_fresh());
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, NULL, NULL);
    free(s_submit(&d, "term-1"));
    long long start = s_now_ms();
    int status = it_daemon_signal_wait(&d, SIGTERM);
    long long took = s_now_ms() - start;
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        it_daemon_log_tail(&d, 30);
    }
    IT_CHECK(status != -1);
    IT_CHECK(WIFEXITED(status));
    IT_CHECK_INT(WEXITSTATUS(status), 0);
    if (took >= 5000) {
        fprintf(stderr, "plaintd took %lld ms to stop\n", took);
    }
    IT_CHECK(took < 5000); /* well below the drain timeout (10 s) */

    /* SIGINT likewise. */
    it_daemon_start(&d, db, NULL, NULL);
    start = s_now_ms();
    status = it_daemon_signal_wait(&d, SIGINT);
    IT_CHECK(status != -1 && WIFEXITED(status));
    IT_CHECK_INT(WEXITSTATUS(status), 0);
    IT_CHECK(s_now_ms() - start < 5000);
    free(db);
}

static const char s_reload_ok[] = "# it_config reload test\n"              /* 1 */
                                  "intake:\n"                              /* 2 */
                                  "  case_number: \"TS-{year}-{seq:6}\"\n" /* 3 */
                                  "log:\n"                                 /* 4 */
                                  "  level: info\n";                       /* 5 */

static void test_sighup_invalid_keeps_running(void)
{
    char *db = strdup(it_db_fresh());
    char *path = it_temp_file("reload.yaml", s_reload_ok);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, path, NULL);
    json_t *ping = s_ping(&d);
    char *version = strdup(json_string_value(json_object_get(ping, "config_version")));
    json_decref(ping);

    it_write_file(path, "# it_config reload test\n"
                        "intake:\n"
                        "  case_number: \"TS-{year}-{seq:6}\"\n"
                        "  colour: blue\n" /* line 4: unknown key */
                        "log:\n"
                        "  level: loud\n"); /* line 6: bad value */
    IT_CHECK_INT(kill(d.pid, SIGHUP), 0);
    char where[1200];
    snprintf(where, sizeof where, "%s:4:3:", path);
    int logged = it_log_wait(&d, where, S_TIMEOUT_MS);
    if (!logged) {
        fprintf(stderr, "no \"%s\" in the log\n", where);
        it_daemon_log_tail(&d, 20);
    }
    IT_CHECK(logged);
    snprintf(where, sizeof where, "%s:6:", path);
    IT_CHECK(it_log_wait(&d, where, S_TIMEOUT_MS));

    /* Still running, with the old configuration. */
    IT_CHECK(it_daemon_alive(&d));
    ping = s_ping(&d);
    IT_CHECK_STR(json_string_value(json_object_get(ping, "config_version")), version);
    json_decref(ping);
    char *case_no = s_submit(&d, "hup-bad-1");
    IT_CHECK(it_match(case_no, "^TS-[0-9]{4}-[0-9]{6}$"));
    free(case_no);
    it_daemon_stop(&d);
    free(version);
    free(path);
    free(db);
}

static void test_sighup_reload(void)
{
    char *db = strdup(it_db_fresh());
    char *path = it_temp_file("reload.yaml", s_reload_ok);
    it_daemon_t d;
    memset(&d, 0, sizeof d);
    it_daemon_start(&d, db, path, NULL);
    char *before = s_submit(&d, "hup-1");
    IT_CHECK(it_match(before, "^TS-[0-9]{4}-[0-9]{6}$"));
    json_t *ping = s_ping(&d);
    char *version = strdup(json_string_value(json_object_get(ping, "config_version")));
    json_decref(ping);

    it_write_file(path, "# it_config reload test\n"
                        "intake:\n"
                        "  case_number: \"QC-{year}-{seq:4}\"\n"
                        "log:\n"
                        "  level: info\n");
    IT_CHECK_INT(kill(d.pid, SIGHUP), 0);
    int reloaded = it_log_wait(&d, "configuration reloaded", S_TIMEOUT_MS);
    if (!reloaded) {
        it_daemon_log_tail(&d, 20);
    }
    IT_CHECK(reloaded);

    char *after = s_submit(&d, "hup-2");
    if (!it_match(after, "^QC-[0-9]{4}-[0-9]{4}$")) {
        fprintf(stderr, "case number after reload: %s\n", after);
    }
    IT_CHECK(it_match(after, "^QC-[0-9]{4}-[0-9]{4}$"));
    /* The old case keeps its number; the event already known keeps its case. */
    char *dup = s_submit(&d, "hup-1");
    IT_CHECK_STR(dup, before);
    ping = s_ping(&d);
    IT_CHECK(strcmp(json_string_value(json_object_get(ping, "config_version")), version) != 0);
    json_decref(ping);
    it_daemon_stop(&d);
    free(before);
    free(after);
    free(dup);
    free(version);
    free(path);
    free(db);
}

int main(int argc, char **argv)
{
    static const it_test_t tests[] = {
        {"check_config_ok", test_check_config_ok},
        {"check_config_errors", test_check_config_errors},
        {"refuses_synchronous_commit_off", test_refuses_synchronous_commit_off},
        {"env_database_url", test_env_database_url},
        {"db_flag_overrides_env", test_db_flag_overrides_env},
        {"two_daemons_one_database", test_two_daemons_one_database},
        {"sigterm_idle", test_sigterm_idle},
        {"sighup_invalid_keeps_running", test_sighup_invalid_keeps_running},
        {"sighup_reload", test_sighup_reload},
        {NULL, NULL},
    };
    return it_main(argc, argv, tests);
}
