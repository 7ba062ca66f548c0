/*
 * it: support for integration tests. They start the real plaintd against
 * the fixture PostgreSQL (PLAINT_TEST_PGHOST, PLAINT_TEST_PGPORT) and talk
 * to it over real ZeroMQ sockets on loopback. Every wait is bounded.
 * Any helper that cannot do its job prints why and exits the test with 1.
 */
#ifndef PL_IT_H
#define PL_IT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* Paths from the environment ctest sets (fall back to ./build, .). */
const char *it_build_dir(void);  /* PL_BUILD_DIR: plaintd and plaint live here */
const char *it_source_dir(void); /* PL_SOURCE_DIR */

/*
 * it_db_create: drops and creates database `name` on the fixture cluster
 * (or on the cluster whose socket dir is `pghost`, when not NULL) and
 * returns its conninfo in a static buffer per call slot (copy it).
 */
char *it_db_create(const char *pghost, const char *name);

/* it_free_port: a TCP port on 127.0.0.1 that was free a moment ago. */
int it_free_port(void);

typedef struct it_daemon {
    pid_t pid;
    char ingest[64];   /* tcp://127.0.0.1:PORT */
    char publish[64];
    char conninfo[512];
    char config[1024]; /* config file used */
    char log[1024];    /* its stderr goes here */
} it_daemon_t;

/*
 * it_daemon_start: starts build/plaintd with `config` (NULL: the shipped
 * config/plaint.yaml), --db conninfo, fresh --ingest/--publish ports (kept
 * in d when d->ingest is already set: a restart on the same ports), plus
 * the NULL-terminated extra arguments; waits until it answers ping (20 s).
 */
void it_daemon_start(it_daemon_t *d, const char *conninfo, const char *config,
                     const char *const *extra_args);

/* it_daemon_signal_wait: sends `sig` and waits (30 s) for exit; returns the
 * exit status as from waitpid (use WIFEXITED etc.), -1 on timeout (then it
 * was killed with SIGKILL). */
int it_daemon_signal_wait(it_daemon_t *d, int sig);

/* it_daemon_kill9: SIGKILL and reap. */
void it_daemon_kill9(it_daemon_t *d);

/* it_daemon_alive: 1 while the process runs. */
int it_daemon_alive(it_daemon_t *d);

/*
 * it_request: sends one request frame (REQ envelope over a fresh DEALER)
 * and returns the parsed reply (caller decrefs) or NULL after timeout_ms.
 */
json_t *it_request(const char *endpoint, const char *body, size_t len, int timeout_ms);
json_t *it_request_json(const char *endpoint, json_t *request, int timeout_ms); /* borrows */

/* it_sql: runs one statement on conninfo; returns the first column of the
 * first row as a new string ("" when no row; caller frees). */
char *it_sql(const char *conninfo, const char *sql);
long it_sql_long(const char *conninfo, const char *sql);

/*
 * it_run: runs argv (argv[0] resolved in it_build_dir() if it has no '/'),
 * with `input` on stdin (may be NULL), captures stdout (caller frees *out if
 * out != NULL) and returns the exit code (or 128+signal).
 */
int it_run(const char *const *argv, const char *input, char **out, char **err);

/* Assertions: print both sides and file:line, then exit(1). */
#define IT_CHECK(cond) it_check_((cond), #cond, __FILE__, __LINE__)
#define IT_CHECK_INT(a, b) it_check_int_((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define IT_CHECK_STR(a, b) it_check_str_((a), (b), #a, #b, __FILE__, __LINE__)
void it_check_(int ok, const char *expr, const char *file, int line);
void it_check_int_(long long a, long long b, const char *ea, const char *eb, const char *file,
                   int line);
void it_check_str_(const char *a, const char *b, const char *ea, const char *eb,
                   const char *file, int line);

/*
 * A test program is a table of named tests; run all, or the one named on
 * the command line. Each prints "ok NAME" or fails via the checks.
 */
typedef struct it_test {
    const char *name;
    void (*fn)(void);
} it_test_t;
int it_main(int argc, char **argv, const it_test_t *tests);

/* ---- more helpers (added with it.c; the declarations above are fixed) ---- */

/* it_test_name: the test it_main is running ("" outside a test). */
const char *it_test_name(void);

/* it_db_fresh: it_db_create(NULL, NAME) with NAME derived from the program
 * and test names ("it_roundtrip_submit"), so that each test has its own. */
char *it_db_fresh(void);

/*
 * it_daemon_spawn: the first half of it_daemon_start: starts plaintd without
 * waiting for it. it_daemon_ready then waits (timeout_ms) for ping. Use both
 * to start several daemons at the same moment. In both it_daemon_start and
 * it_daemon_spawn, conninfo NULL means no --db argument at all (the daemon
 * then uses PLAINT_DATABASE_URL or database.url).
 */
void it_daemon_spawn(it_daemon_t *d, const char *conninfo, const char *config,
                     const char *const *extra_args);
void it_daemon_ready(it_daemon_t *d, int timeout_ms);

/* it_daemon_stop: SIGTERM, then checks that it exited with status 0 in time
 * (else prints its log's tail and fails the test). */
void it_daemon_stop(it_daemon_t *d);

/* it_daemon_log_tail: prints the last `lines` lines of the daemon's log to stderr. */
void it_daemon_log_tail(const it_daemon_t *d, int lines);

/* it_log_wait: waits (timeout_ms) until the daemon's log contains `needle`;
 * returns 1 when it does, 0 on timeout. */
int it_log_wait(const it_daemon_t *d, const char *needle, int timeout_ms);

/* it_read_file: the whole file, NUL-terminated (caller frees; *len set when
 * len != NULL), or NULL when it cannot be read. */
char *it_read_file(const char *path, size_t *len);

/* it_temp_file: writes `content` to a new file in /tmp whose name contains
 * `hint` and returns its path (caller frees). Removed when the test passes. */
char *it_temp_file(const char *hint, const char *content);

/* it_write_file: replaces the content of `path` (atomically, by rename). */
void it_write_file(const char *path, const char *content);

/* it_zmq_ctx: the ZeroMQ context shared by the helpers (close your sockets
 * before the test ends). */
void *it_zmq_ctx(void);

/*
 * it_exchange: sends `count` frames as one message on a fresh socket of
 * `type` (ZMQ_DEALER, ZMQ_REQ, ...; linger 0) connected to `endpoint`, and
 * receives one message. Returns the number of frames received (at most
 * `max` are kept: reply[i] malloc'ed and NUL-terminated, reply_len[i] its
 * size; caller frees), or -1 when nothing came within timeout_ms.
 */
int it_exchange(const char *endpoint, int type, const char *const *frames, const size_t *lens,
                size_t count, char **reply, size_t *reply_len, size_t max, int timeout_ms);

/* it_sql_bytea: like it_sql, with $1 bound to `len` bytes as a bytea. */
char *it_sql_bytea(const char *conninfo, const char *sql, const void *bytes, size_t len);

/* it_sql_wait_long: runs `sql` until its value is `want` (or timeout_ms
 * passed); returns the last value. For work the daemon does after its reply. */
long it_sql_wait_long(const char *conninfo, const char *sql, long want, int timeout_ms);

/* it_sleep_ms: sleeps (restarting after signals). */
void it_sleep_ms(int ms);

/* it_match: 1 when `s` matches the POSIX extended regular expression `re`. */
int it_match(const char *s, const char *re);


/* ---- request and configuration helpers shared by the integration tests ---- */

/* it_call: sends `request` (consumed) to d's ingest socket and returns the
 * reply (caller decrefs); when none comes in timeout_ms, prints the
 * daemon's log tail and fails the test. */
json_t *it_call(const it_daemon_t *d, json_t *request, int timeout_ms);

/* it_check_ok: fails the test, printing the reply, unless reply.ok is true. */
void it_check_ok(const json_t *reply);

/* it_config_checked: it_temp_file(hint, text), after checking that
 * `plaintd --check-config` accepts it (else prints the text and the errors
 * and fails the test). Returns the path (caller frees). */
char *it_config_checked(const char *hint, const char *text);


/* ---- JSON and word-list helpers shared by the integration tests ------------- */

/* it_str: obj[key] when it is a string, else NULL. */
const char *it_str(const json_t *obj, const char *key);

/* it_dump: prints "label: <value as compact JSON>" on stderr. */
void it_dump(const char *label, const json_t *value);

/* it_has_word: 1 when `word` is one of the space-separated words of `words`. */
int it_has_word(const char *words, const char *word);

/* it_word_count: how many space-separated words `words` holds. */
size_t it_word_count(const char *words);

/* it_same_words: 1 when `array` holds strings, each once, that are exactly the
 * words of `words`, in any order. */
int it_same_words(const json_t *array, const char *words);

#endif
