/*
 * migrate: what plaintd does with the database before its loop starts:
 * wait for it, refuse unsafe durability settings, apply the migrations.
 * This runs once at start-up, synchronously, before any request is taken.
 */
#ifndef PL_MIGRATE_H
#define PL_MIGRATE_H

#include "common/pl_err.h"

typedef struct pl_migration {
    int version;        /* NNN of sql/NNN_name.sql */
    const char *name;   /* file name */
    const char *sql;    /* file contents */
} pl_migration_t;

/* Every migration in sql/, by version, ended by an entry with version 0. */
extern const pl_migration_t pl_migrations[];

/* sql/functions.sql: every function, re-applied at each start. */
extern const char *const pl_functions_sql;

/*
 * pl_migrate_prepare: connects to `conninfo` (retrying with back-off for up to
 * wait_s seconds), refuses to go on when fsync or synchronous_commit is off,
 * then applies every migration not yet recorded in schema_migrations, each in
 * its own transaction, and then sql/functions.sql (CREATE OR REPLACE, in one
 * transaction), all under an advisory lock so daemons starting together
 * apply each once. Returns 0, PL_EDB (cannot connect, or a migration failed)
 * or PL_ECONFIG (unsafe settings), with `err` filled.
 */
int pl_migrate_prepare(const char *conninfo, int wait_s, pl_err_t *err);

#endif
