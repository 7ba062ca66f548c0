#include "daemon/migrate.h"

#include "common/pl_log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Any constant works; it only has to be the same for every plaintd. */
#define S_MIGRATE_LOCK_KEY 0x706c61696e74LL

static PGconn *s_connect(const char *conninfo, int wait_s, pl_err_t *err)
{
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *values[] = {conninfo, "plaintd", NULL};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long delay_ms = 100;
    for (int attempt = 1;; attempt++) {
        PGconn *conn = PQconnectdbParams(keys, values, 1);
        if (conn && PQstatus(conn) == CONNECTION_OK) {
            return conn;
        }
        char why[256];
        snprintf(why, sizeof why, "%s", conn ? PQerrorMessage(conn) : "out of memory");
        why[strcspn(why, "\n")] = '\0';
        PQfinish(conn);

        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (waited_ms + delay_ms > (long)wait_s * 1000) {
            pl_err_set(err, PL_EDB, "db_unreachable", NULL, "could not connect to database: %s",
                       why);
            return NULL;
        }
        if (attempt == 1 || attempt % 10 == 0) {
            pl_log(PL_LOG_WARN, "migrate", "waiting for database: %s", why);
        }
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        delay_ms = delay_ms * 2 > 2000 ? 2000 : delay_ms * 2;
    }
}

static int s_exec(PGconn *conn, const char *sql, pl_err_t *err)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "%s", PQresultErrorMessage(res));
        msg[strcspn(msg, "\n")] = '\0';
        PQclear(res);
        return pl_err_set(err, PL_EDB, "db_error", NULL, "%s", msg);
    }
    PQclear(res);
    return 0;
}

static int s_check_setting(PGconn *conn, const char *name, pl_err_t *err)
{
    const char *params[] = {name};
    PGresult *res = PQexecParams(conn, "SELECT current_setting($1)", 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return pl_err_set(err, PL_EDB, "db_error", NULL, "could not read setting %s", name);
    }
    int on = strcmp(PQgetvalue(res, 0, 0), "off") != 0;
    PQclear(res);
    if (!on) {
        return pl_err_set(err, PL_ECONFIG, "unsafe_database", NULL,
                          "the database runs with %s = off, so a committed case could be lost "
                          "after a crash; set %s = on in postgresql.conf (or for this role) "
                          "and restart",
                          name, name);
    }
    return 0;
}

static int s_applied(PGconn *conn, int version, int *applied, pl_err_t *err)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {v};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return pl_err_set(err, PL_EDB, "db_error", NULL, "could not read schema_migrations");
    }
    *applied = PQntuples(res) > 0;
    PQclear(res);
    return 0;
}

static int s_apply_all(PGconn *conn, pl_err_t *err)
{
    int rc = s_exec(conn,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    err);
    for (const pl_migration_t *m = pl_migrations; rc == 0 && m->version; m++) {
        int applied = 0;
        rc = s_applied(conn, m->version, &applied, err);
        if (rc || applied) {
            continue;
        }
        rc = s_exec(conn, "BEGIN", err);
        if (rc == 0) {
            rc = s_exec(conn, m->sql, err);
        }
        if (rc == 0) {
            char v[16];
            snprintf(v, sizeof v, "%d", m->version);
            const char *params[] = {v, m->name};
            PGresult *res = PQexecParams(conn,
                                         "INSERT INTO schema_migrations (version, name) "
                                         "VALUES ($1, $2)",
                                         2, NULL, params, NULL, NULL, 0);
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                rc = pl_err_set(err, PL_EDB, "db_error", NULL, "could not record migration");
            }
            PQclear(res);
        }
        if (rc == 0) {
            rc = s_exec(conn, "COMMIT", err);
        }
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            pl_err_set(err, PL_EDB, "db_error", NULL, "migration %s failed: %s", m->name, msg);
            PQclear(PQexec(conn, "ROLLBACK"));
        } else {
            pl_log(PL_LOG_INFO, "migrate", "applied migration %s", m->name);
        }
    }
    if (rc == 0) {
        rc = s_exec(conn, "BEGIN", err);
        if (rc == 0) {
            rc = s_exec(conn, pl_functions_sql, err);
        }
        if (rc == 0) {
            rc = s_exec(conn, "COMMIT", err);
        }
        if (rc) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            pl_err_set(err, PL_EDB, "db_error", NULL, "sql/functions.sql failed: %s", msg);
            PQclear(PQexec(conn, "ROLLBACK"));
        }
    }
    return rc;
}

int pl_migrate_prepare(const char *conninfo, int wait_s, pl_err_t *err)
{
    PGconn *conn = s_connect(conninfo, wait_s, err);
    if (!conn) {
        return PL_EDB;
    }
    int rc = s_check_setting(conn, "fsync", err);
    if (rc == 0) {
        rc = s_check_setting(conn, "synchronous_commit", err);
    }
    if (rc == 0) {
        rc = s_exec(conn, "SET client_min_messages = warning", err);
    }
    if (rc == 0) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", S_MIGRATE_LOCK_KEY);
        rc = s_exec(conn, sql, err);
        if (rc == 0) {
            rc = s_apply_all(conn, err);
            snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", S_MIGRATE_LOCK_KEY);
            pl_err_t ignored;
            s_exec(conn, sql, &ignored);
        }
    }
    PQfinish(conn);
    return rc;
}
