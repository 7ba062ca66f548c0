/*
 * it: support for integration tests (see it.h). Starts the real plaintd and
 * plaint as child processes, talks to plaintd over real ZeroMQ sockets and
 * to the fixture PostgreSQL over libpq. Every wait is bounded; a helper that
 * cannot do its job prints why and exits with 1, and an atexit handler then
 * prints the tail of every running daemon's log and kills it.
 */
#define _GNU_SOURCE /* pipe2 */
#include "it.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_MAX_DAEMONS 32
#define S_MAX_TEMPS 64
#define S_START_TIMEOUT_MS 20000
#define S_STOP_TIMEOUT_MS 30000
#define S_RUN_TIMEOUT_MS 60000
#define S_DB_UP_WAIT_MS 5000
#define S_LOG_TAIL_LINES 40

/* ---- process-wide state ---------------------------------------------------- */

static const char *s_prog = "it";
static const char *s_current_test = "";
static void *s_zctx;
/* Helpers may be called from several threads (a test's background jobs):
 * one lock guards the registries, the ZeroMQ context and the SQL cache. */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_failed;
static int s_atexit_done;

/* Daemons started and not yet reaped: killed (with their log's tail shown)
 * when the test program exits early. */
static struct {
    pid_t pid;
    char log[1024];
} s_daemons[S_MAX_DAEMONS];

/* Files to delete when the test that made them passed. */
static char *s_temps[S_MAX_TEMPS];
static size_t s_temp_count;

static void s_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void s_fail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "FAIL %s: ", s_current_test[0] ? s_current_test : s_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    s_failed = 1;
    exit(1);
}

static void *s_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        s_fail("out of memory (%zu bytes)", size);
    }
    return p;
}

static char *s_xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = s_xmalloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static long long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void it_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void s_register_daemon(const it_daemon_t *d)
{
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < S_MAX_DAEMONS; i++) {
        if (s_daemons[i].pid == 0) {
            s_daemons[i].pid = d->pid;
            snprintf(s_daemons[i].log, sizeof s_daemons[i].log, "%s", d->log);
            pthread_mutex_unlock(&s_lock);
            return;
        }
    }
    pthread_mutex_unlock(&s_lock);
    s_fail("more than %d daemons running at once", S_MAX_DAEMONS);
}

static void s_forget_daemon(pid_t pid)
{
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < S_MAX_DAEMONS; i++) {
        if (s_daemons[i].pid == pid) {
            s_daemons[i].pid = 0;
        }
    }
    pthread_mutex_unlock(&s_lock);
}

static void s_print_tail(const char *path, int lines)
{
    size_t len = 0;
    char *text = it_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "  (cannot read %s)\n", path);
        return;
    }
    size_t start = len;
    int seen = 0;
    while (start > 0) {
        if (text[start - 1] == '\n' && start != len && ++seen >= lines) {
            break;
        }
        start--;
    }
    fprintf(stderr, "---- tail of %s ----\n%s%s---- end ----\n", path, text + start,
            len && text[len - 1] != '\n' ? "\n" : "");
    free(text);
}

static void s_at_exit(void)
{
    if (s_atexit_done) {
        return;
    }
    s_atexit_done = 1;
    for (size_t i = 0; i < S_MAX_DAEMONS; i++) {
        if (s_daemons[i].pid > 0) {
            fprintf(stderr, "plaintd pid %d still running at exit; killing it\n",
                    (int)s_daemons[i].pid);
            s_print_tail(s_daemons[i].log, S_LOG_TAIL_LINES);
            kill(s_daemons[i].pid, SIGKILL);
            waitpid(s_daemons[i].pid, NULL, 0);
            s_daemons[i].pid = 0;
        }
    }
}

/* ---- paths ------------------------------------------------------------------ */

const char *it_build_dir(void)
{
    const char *d = getenv("PL_BUILD_DIR");
    return d && d[0] ? d : "./build";
}

const char *it_source_dir(void)
{
    const char *d = getenv("PL_SOURCE_DIR");
    return d && d[0] ? d : ".";
}

const char *it_test_name(void)
{
    return s_current_test;
}

/* ---- files ------------------------------------------------------------------ */

char *it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    size_t cap = 4096, used = 0;
    char *buf = s_xmalloc(cap);
    for (;;) {
        if (cap - used < 4096) {
            cap *= 2;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                s_fail("out of memory reading %s", path);
            }
            buf = p;
        }
        size_t n = fread(buf + used, 1, cap - used - 1, f);
        used += n;
        if (n == 0) {
            break;
        }
    }
    fclose(f);
    buf[used] = '\0';
    if (len) {
        *len = used;
    }
    return buf;
}

static void s_write_all(int fd, const char *data, size_t len, const char *path)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            s_fail("cannot write %s: %s", path, strerror(errno));
        }
        data += n;
        len -= (size_t)n;
    }
}

static void s_track_temp(const char *path)
{
    pthread_mutex_lock(&s_lock);
    if (s_temp_count < S_MAX_TEMPS) {
        s_temps[s_temp_count++] = s_xstrdup(path);
    }
    pthread_mutex_unlock(&s_lock);
}

/* Deletes the tracked files from index `from` on. */
static void s_remove_temps(size_t from)
{
    pthread_mutex_lock(&s_lock);
    while (s_temp_count > from) {
        char *path = s_temps[--s_temp_count];
        unlink(path);
        free(path);
    }
    pthread_mutex_unlock(&s_lock);
}

char *it_temp_file(const char *hint, const char *content)
{
    char path[1024];
    snprintf(path, sizeof path, "/tmp/plaint-it-%s-%s-XXXXXX", s_prog, hint ? hint : "file");
    int fd = mkstemp(path);
    if (fd < 0) {
        s_fail("cannot create a temporary file %s: %s", path, strerror(errno));
    }
    s_write_all(fd, content, strlen(content), path);
    close(fd);
    s_track_temp(path);
    return s_xstrdup(path);
}

void it_write_file(const char *path, const char *content)
{
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        s_fail("cannot write %s: %s", tmp, strerror(errno));
    }
    s_write_all(fd, content, strlen(content), tmp);
    close(fd);
    if (rename(tmp, path) != 0) {
        s_fail("cannot rename %s to %s: %s", tmp, path, strerror(errno));
    }
}

/* ---- PostgreSQL ------------------------------------------------------------- */

/* Appends `key=value` to a conninfo string, quoting the value. */
static void s_conninfo_add(char *buf, size_t size, const char *key, const char *value)
{
    size_t used = strlen(buf);
    int n = snprintf(buf + used, size - used, "%s%s='", used ? " " : "", key);
    if (n < 0 || (size_t)n >= size - used) {
        s_fail("conninfo too long");
    }
    used += (size_t)n;
    for (const char *p = value; *p; p++) {
        if (used + 3 >= size) {
            s_fail("conninfo too long");
        }
        if (*p == '\'' || *p == '\\') {
            buf[used++] = '\\';
        }
        buf[used++] = *p;
    }
    buf[used++] = '\'';
    buf[used] = '\0';
}

/*
 * The port of the cluster whose socket directory is `pghost`: the socket file
 * there is named .s.PGSQL.PORT; failing that, pg.sh keeps the port in
 * DIR/port when the socket directory is DIR/run. For the fixture cluster
 * (pghost NULL), PLAINT_TEST_PGPORT.
 */
static void s_port_for(const char *pghost, char *port, size_t size)
{
    const char *env = getenv("PLAINT_TEST_PGPORT");
    snprintf(port, size, "%s", env && env[0] ? env : "5432");
    if (!pghost) {
        return;
    }
    DIR *dir = opendir(pghost);
    if (dir) {
        struct dirent *e;
        int found = 0;
        while ((e = readdir(dir)) != NULL) {
            const char *name = e->d_name;
            if (strncmp(name, ".s.PGSQL.", 9) == 0 && name[9] &&
                strspn(name + 9, "0123456789") == strlen(name + 9)) {
                snprintf(port, size, "%s", name + 9);
                found = 1;
                break;
            }
        }
        closedir(dir);
        if (found) {
            return;
        }
    }
    size_t len = strlen(pghost);
    if (len > 4 && strcmp(pghost + len - 4, "/run") == 0) {
        char path[1024];
        snprintf(path, sizeof path, "%.*s/port", (int)(len - 4), pghost);
        char *text = it_read_file(path, NULL);
        if (text) {
            text[strcspn(text, " \r\n")] = '\0';
            if (text[0]) {
                snprintf(port, size, "%s", text);
            }
            free(text);
        }
    }
}

static void s_conninfo(const char *pghost, const char *dbname, char *buf, size_t size)
{
    const char *host = pghost ? pghost : getenv("PLAINT_TEST_PGHOST");
    const char *user = getenv("PLAINT_TEST_PGUSER");
    char port[32];
    if (!host || !host[0]) {
        s_fail("PLAINT_TEST_PGHOST is not set: run the integration tests under ctest "
               "(the pg fixture starts the cluster)");
    }
    s_port_for(pghost, port, sizeof port);
    buf[0] = '\0';
    s_conninfo_add(buf, size, "host", host);
    s_conninfo_add(buf, size, "port", port);
    s_conninfo_add(buf, size, "user", user && user[0] ? user : "postgres");
    s_conninfo_add(buf, size, "dbname", dbname);
}

static void s_ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *s_pg_connect(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (conn) {
        PQsetNoticeProcessor(conn, s_ignore_notice, NULL);
    }
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", conn ? PQerrorMessage(conn) : "out of memory");
        why[strcspn(why, "\n")] = '\0';
        PQfinish(conn);
        s_fail("cannot connect to PostgreSQL (%s): %s", conninfo, why);
    }
    return conn;
}

/* it_sql keeps one connection open for the conninfo it was last given, so
 * that tests can poll without paying for a connection each time. */
static PGconn *s_cached_conn;
static char s_cached_conninfo[512];

static void s_cache_drop(void)
{
    PQfinish(s_cached_conn);
    s_cached_conn = NULL;
    s_cached_conninfo[0] = '\0';
}

static PGconn *s_cache_get(const char *conninfo)
{
    if (s_cached_conn && strcmp(conninfo, s_cached_conninfo) == 0 &&
        PQstatus(s_cached_conn) == CONNECTION_OK) {
        return s_cached_conn;
    }
    s_cache_drop();
    s_cached_conn = s_pg_connect(conninfo);
    snprintf(s_cached_conninfo, sizeof s_cached_conninfo, "%s", conninfo);
    return s_cached_conn;
}

static void s_pg_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(conn);
        s_fail("SQL failed: %s\n  %s", sql, why);
    }
    PQclear(res);
}

char *it_db_create(const char *pghost, const char *name)
{
    static char slots[8][512];
    static unsigned next;
    char admin[512];
    pthread_mutex_lock(&s_lock);
    s_cache_drop();
    unsigned slot_index = next++ % 8;
    pthread_mutex_unlock(&s_lock);
    s_conninfo(pghost, "postgres", admin, sizeof admin);
    PGconn *conn = s_pg_connect(admin);
    char *ident = PQescapeIdentifier(conn, name, strlen(name));
    if (!ident) {
        PQfinish(conn);
        s_fail("cannot quote database name %s", name);
    }
    char sql[512];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
    s_pg_exec(conn, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", ident);
    s_pg_exec(conn, sql);
    PQfreemem(ident);
    PQfinish(conn);
    char *slot = slots[slot_index];
    s_conninfo(pghost, name, slot, sizeof slots[0]);
    return slot;
}

char *it_db_fresh(void)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%s", s_prog, s_current_test[0] ? s_current_test : "main");
    for (char *p = name; *p; p++) {
        *p = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    }
    return it_db_create(NULL, name);
}

static PGresult *s_sql_exec(PGconn *conn, const char *sql, int nparams, const void *bytes,
                            size_t len)
{
    const char *values[1] = {bytes};
    int lengths[1] = {(int)len};
    int formats[1] = {1};
    Oid types[1] = {17}; /* bytea */
    return nparams ? PQexecParams(conn, sql, 1, types, values, lengths, formats, 0)
                   : PQexec(conn, sql);
}

static char *s_sql_run(const char *conninfo, const char *sql, int nparams, const void *bytes,
                       size_t len)
{
    pthread_mutex_lock(&s_lock);
    PGconn *conn = s_cache_get(conninfo);
    PGresult *res = s_sql_exec(conn, sql, nparams, bytes, len);
    if (PQstatus(conn) != CONNECTION_OK) {
        /* The cached session was cut (a dropped database, a restart): once more. */
        PQclear(res);
        conn = s_cache_get(conninfo);
        res = s_sql_exec(conn, sql, nparams, bytes, len);
    }
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", PQresultErrorMessage(res));
        PQclear(res);
        s_cache_drop();
        pthread_mutex_unlock(&s_lock);
        s_fail("SQL failed: %s\n  %s", sql, why);
    }
    char *out = s_xstrdup(st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0
                              ? PQgetvalue(res, 0, 0)
                              : "");
    PQclear(res);
    pthread_mutex_unlock(&s_lock);
    return out;
}

char *it_sql(const char *conninfo, const char *sql)
{
    return s_sql_run(conninfo, sql, 0, NULL, 0);
}

char *it_sql_bytea(const char *conninfo, const char *sql, const void *bytes, size_t len)
{
    return s_sql_run(conninfo, sql, 1, bytes ? bytes : "", len);
}

long it_sql_long(const char *conninfo, const char *sql)
{
    char *text = it_sql(conninfo, sql);
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0') {
        char copy[128];
        snprintf(copy, sizeof copy, "%s", text);
        free(text);
        s_fail("SQL %s: expected an integer, got \"%s\"", sql, copy);
    }
    free(text);
    return v;
}

long it_sql_wait_long(const char *conninfo, const char *sql, long want, int timeout_ms)
{
    long long deadline = s_now_ms() + timeout_ms;
    for (;;) {
        long v = it_sql_long(conninfo, sql);
        if (v == want || s_now_ms() >= deadline) {
            return v;
        }
        it_sleep_ms(20);
    }
}

/* ---- ports and ZeroMQ ------------------------------------------------------- */

int it_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        s_fail("socket: %s", strerror(errno));
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t alen = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &alen) != 0) {
        int e = errno;
        close(fd);
        s_fail("cannot find a free port: %s", strerror(e));
    }
    close(fd);
    return ntohs(addr.sin_port);
}

void *it_zmq_ctx(void)
{
    pthread_mutex_lock(&s_lock);
    if (!s_zctx) {
        s_zctx = zmq_ctx_new();
    }
    void *ctx = s_zctx;
    pthread_mutex_unlock(&s_lock);
    if (!ctx) {
        s_fail("zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
    }
    return ctx;
}

static void *s_zsocket(int type, const char *endpoint)
{
    void *sock = zmq_socket(it_zmq_ctx(), type);
    if (!sock) {
        s_fail("zmq_socket: %s", zmq_strerror(zmq_errno()));
    }
    int linger = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(sock, endpoint) != 0) {
        int e = zmq_errno();
        zmq_close(sock);
        s_fail("zmq_connect %s: %s", endpoint, zmq_strerror(e));
    }
    return sock;
}

int it_exchange(const char *endpoint, int type, const char *const *frames, const size_t *lens,
                size_t count, char **reply, size_t *reply_len, size_t max, int timeout_ms)
{
    void *sock = s_zsocket(type, endpoint);
    for (size_t i = 0; i < count; i++) {
        if (zmq_send(sock, frames[i], lens[i], i + 1 < count ? ZMQ_SNDMORE : 0) < 0) {
            int e = zmq_errno();
            zmq_close(sock);
            s_fail("zmq_send to %s: %s", endpoint, zmq_strerror(e));
        }
    }
    long long deadline = s_now_ms() + timeout_ms;
    int got = -1;
    for (;;) {
        long long left = deadline - s_now_ms();
        if (left < 0) {
            left = 0;
        }
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        int n = zmq_poll(&item, 1, (long)left);
        if (n < 0 && zmq_errno() == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got = 0;
        int more = 1;
        while (more) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            if (zmq_msg_recv(&msg, sock, 0) < 0) {
                int e = zmq_errno();
                zmq_msg_close(&msg);
                zmq_close(sock);
                s_fail("zmq_msg_recv from %s: %s", endpoint, zmq_strerror(e));
            }
            more = zmq_msg_more(&msg);
            if ((size_t)got < max) {
                size_t size = zmq_msg_size(&msg);
                reply[got] = s_xmalloc(size + 1);
                memcpy(reply[got], zmq_msg_data(&msg), size);
                reply[got][size] = '\0';
                reply_len[got] = size;
            }
            got++;
            zmq_msg_close(&msg);
        }
        break;
    }
    zmq_close(sock);
    return got;
}

json_t *it_request(const char *endpoint, const char *body, size_t len, int timeout_ms)
{
    const char *frames[] = {"", body ? body : ""};
    size_t lens[] = {0, body ? len : 0};
    char *reply[4] = {NULL};
    size_t reply_len[4] = {0};
    int n = it_exchange(endpoint, ZMQ_DEALER, frames, lens, 2, reply, reply_len, 4, timeout_ms);
    if (n < 0) {
        return NULL;
    }
    size_t kept = (size_t)n < 4 ? (size_t)n : 4;
    if (n != 2 || reply_len[0] != 0) {
        for (size_t i = 0; i < kept; i++) {
            free(reply[i]);
        }
        s_fail("reply from %s is not an empty delimiter frame and one body frame (%d frames)",
               endpoint, n);
    }
    json_error_t jerr;
    json_t *root = json_loadb(reply[1], reply_len[1], JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        fprintf(stderr, "reply: %.*s\n", (int)(reply_len[1] > 2000 ? 2000 : reply_len[1]),
                reply[1]);
        free(reply[0]);
        free(reply[1]);
        s_fail("reply from %s is not a JSON object: %s", endpoint, root ? "" : jerr.text);
    }
    free(reply[0]);
    free(reply[1]);
    return root;
}

json_t *it_request_json(const char *endpoint, json_t *request, int timeout_ms)
{
    char *text = json_dumps(request, JSON_COMPACT);
    if (!text) {
        s_fail("cannot serialize a request");
    }
    json_t *reply = it_request(endpoint, text, strlen(text), timeout_ms);
    free(text);
    return reply;
}

/* ---- processes -------------------------------------------------------------- */

static char *s_resolve(const char *name)
{
    if (strchr(name, '/')) {
        return s_xstrdup(name);
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", it_build_dir(), name);
    return s_xstrdup(path);
}

/* Makes `path` absolute against the current directory. */
static void s_absolute(const char *path, char *out, size_t size)
{
    if (path[0] == '/') {
        snprintf(out, size, "%s", path);
        return;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        s_fail("getcwd: %s", strerror(errno));
    }
    int n = snprintf(out, size, "%s/%s", cwd, path);
    if (n < 0 || (size_t)n >= size) {
        s_fail("path too long: %s/%s", cwd, path);
    }
}

/* Reaps `pid` if it has exited; returns 1 with *status set then. */
static int s_reaped(pid_t pid, int *status)
{
    pid_t r;
    do {
        r = waitpid(pid, status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    return r == pid;
}

int it_run(const char *const *argv, const char *input, char **out, char **err)
{
    int in_pipe[2], out_pipe[2], err_pipe[2];
    /* Close-on-exec, so that children forked meanwhile by other threads do
     * not hold the pipes open. */
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
        pipe2(err_pipe, O_CLOEXEC) != 0) {
        s_fail("pipe: %s", strerror(errno));
    }
    char *path = s_resolve(argv[0]);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        s_fail("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(in_pipe[0], STDIN_FILENO);
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        close(in_pipe[0]);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(out_pipe[1]);
        close(err_pipe[0]);
        close(err_pipe[1]);
        execv(path, (char *const *)argv);
        static const char msg[] = "it_run: exec failed\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    free(path);
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);

    size_t in_len = input ? strlen(input) : 0, in_off = 0;
    int in_fd = in_pipe[1];
    if (in_len == 0) {
        close(in_fd);
        in_fd = -1;
    } else {
        fcntl(in_fd, F_SETFL, fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    }
    char *bufs[2] = {s_xmalloc(4096), s_xmalloc(4096)};
    size_t caps[2] = {4096, 4096}, used[2] = {0, 0};
    int fds[2] = {out_pipe[0], err_pipe[0]};
    long long deadline = s_now_ms() + S_RUN_TIMEOUT_MS;
    int timed_out = 0;
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd pfd[3];
        int map[3];
        int n = 0;
        for (int i = 0; i < 2; i++) {
            if (fds[i] >= 0) {
                pfd[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
                map[n++] = i;
            }
        }
        if (in_fd >= 0) {
            pfd[n] = (struct pollfd){.fd = in_fd, .events = POLLOUT};
            map[n++] = 2;
        }
        long long left = deadline - s_now_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        int r = poll(pfd, (nfds_t)n, (int)left);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            s_fail("poll: %s", strerror(errno));
        }
        for (int k = 0; k < n; k++) {
            if (!pfd[k].revents) {
                continue;
            }
            int i = map[k];
            if (i == 2) {
                ssize_t w = write(in_fd, input + in_off, in_len - in_off);
                if (w > 0) {
                    in_off += (size_t)w;
                }
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len) {
                    close(in_fd);
                    in_fd = -1;
                }
                continue;
            }
            if (caps[i] - used[i] < 1024) {
                caps[i] *= 2;
                char *p = realloc(bufs[i], caps[i]);
                if (!p) {
                    s_fail("out of memory");
                }
                bufs[i] = p;
            }
            ssize_t got = read(fds[i], bufs[i] + used[i], caps[i] - used[i] - 1);
            if (got > 0) {
                used[i] += (size_t)got;
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
    }
    if (in_fd >= 0) {
        close(in_fd);
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
        bufs[i][used[i]] = '\0';
    }
    int status = 0;
    if (timed_out) {
        kill(pid, SIGKILL);
    } else {
        /* Output closed: the child is exiting (or closed its pipes itself). */
        while (!s_reaped(pid, &status)) {
            if (s_now_ms() >= deadline) {
                timed_out = 1;
                kill(pid, SIGKILL);
                break;
            }
            it_sleep_ms(5);
        }
    }
    if (timed_out) {
        waitpid(pid, &status, 0);
        fprintf(stderr, "stdout: %s\nstderr: %s\n", bufs[0], bufs[1]);
        free(bufs[0]);
        free(bufs[1]);
        s_fail("%s did not finish within %d ms", argv[0], S_RUN_TIMEOUT_MS);
    }
    if (out) {
        *out = bufs[0];
    } else {
        free(bufs[0]);
    }
    if (err) {
        *err = bufs[1];
    } else {
        free(bufs[1]);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- the daemon ------------------------------------------------------------- */

void it_daemon_spawn(it_daemon_t *d, const char *conninfo, const char *config,
                     const char *const *extra_args)
{
    static unsigned log_serial;
    if (!d->ingest[0]) {
        int a = it_free_port();
        int b;
        do {
            b = it_free_port();
        } while (b == a);
        snprintf(d->ingest, sizeof d->ingest, "tcp://127.0.0.1:%d", a);
        snprintf(d->publish, sizeof d->publish, "tcp://127.0.0.1:%d", b);
    }
    if (config) {
        s_absolute(config, d->config, sizeof d->config);
    } else {
        snprintf(d->config, sizeof d->config, "%s/config/plaint.yaml", it_source_dir());
    }
    snprintf(d->conninfo, sizeof d->conninfo, "%s", conninfo ? conninfo : "");
    /* A restart (d->log set) appends to the same log. */
    if (!d->log[0]) {
        pthread_mutex_lock(&s_lock);
        unsigned serial = log_serial++;
        pthread_mutex_unlock(&s_lock);
        snprintf(d->log, sizeof d->log, "/tmp/plaint-it-%s-%d-%u.log", s_prog, (int)getpid(),
                 serial);
        unlink(d->log);
        s_track_temp(d->log);
    }

    const char *argv[64];
    size_t argc = 0;
    char *path = s_resolve("plaintd");
    argv[argc++] = path;
    argv[argc++] = "--config";
    argv[argc++] = d->config;
    if (conninfo) {
        argv[argc++] = "--db";
        argv[argc++] = d->conninfo;
    }
    argv[argc++] = "--ingest";
    argv[argc++] = d->ingest;
    argv[argc++] = "--publish";
    argv[argc++] = d->publish;
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        if (argc >= sizeof argv / sizeof argv[0] - 1) {
            s_fail("too many arguments for plaintd");
        }
        argv[argc++] = extra_args[i];
    }
    argv[argc] = NULL;

    int log_fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
        s_fail("cannot open %s: %s", d->log, strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        s_fail("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        static const char msg[] = "it_daemon_spawn: exec failed\n";
        ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)ignored;
        _exit(127);
    }
    close(log_fd);
    close(null_fd);
    free(path);
    d->pid = pid;
    s_register_daemon(d);
}

void it_daemon_ready(it_daemon_t *d, int timeout_ms)
{
    if (d->pid <= 0) {
        s_fail("it_daemon_ready: no daemon was spawned");
    }
    long long start = s_now_ms();
    long long deadline = start + timeout_ms;
    int answered = 0;
    while (s_now_ms() < deadline) {
        int status;
        if (s_reaped(d->pid, &status)) {
            s_forget_daemon(d->pid);
            d->pid = 0;
            s_print_tail(d->log, S_LOG_TAIL_LINES);
            s_fail("plaintd exited before answering ping (%s %d)",
                   WIFEXITED(status) ? "exit status" : "signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
        json_t *reply = it_request(d->ingest, "{\"op\":\"ping\"}", 13, 250);
        if (reply) {
            answered = 1;
            /* Best effort: give the store a moment to connect, so that tests
             * start from "database up". */
            const char *db = json_string_value(json_object_get(reply, "database"));
            int up = db && strcmp(db, "up") == 0;
            json_decref(reply);
            if (up || s_now_ms() - start > S_DB_UP_WAIT_MS) {
                return;
            }
            it_sleep_ms(20);
        }
    }
    if (answered) {
        return;
    }
    s_print_tail(d->log, S_LOG_TAIL_LINES);
    s_fail("plaintd at %s did not answer ping within %d ms", d->ingest, timeout_ms);
}

void it_daemon_start(it_daemon_t *d, const char *conninfo, const char *config,
                     const char *const *extra_args)
{
    it_daemon_spawn(d, conninfo, config, extra_args);
    it_daemon_ready(d, S_START_TIMEOUT_MS);
}

int it_daemon_signal_wait(it_daemon_t *d, int sig)
{
    if (d->pid <= 0) {
        s_fail("it_daemon_signal_wait: the daemon is not running");
    }
    if (kill(d->pid, sig) != 0) {
        s_fail("kill(%d, %d): %s", (int)d->pid, sig, strerror(errno));
    }
    long long deadline = s_now_ms() + S_STOP_TIMEOUT_MS;
    int status;
    while (!s_reaped(d->pid, &status)) {
        if (s_now_ms() >= deadline) {
            fprintf(stderr, "plaintd pid %d did not exit within %d ms of signal %d\n", (int)d->pid,
                    S_STOP_TIMEOUT_MS, sig);
            it_daemon_kill9(d);
            return -1;
        }
        it_sleep_ms(5);
    }
    s_forget_daemon(d->pid);
    d->pid = 0;
    return status;
}

void it_daemon_kill9(it_daemon_t *d)
{
    if (d->pid <= 0) {
        return;
    }
    kill(d->pid, SIGKILL);
    while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR) {
    }
    s_forget_daemon(d->pid);
    d->pid = 0;
}

int it_daemon_alive(it_daemon_t *d)
{
    if (d->pid <= 0) {
        return 0;
    }
    int status;
    if (s_reaped(d->pid, &status)) {
        s_forget_daemon(d->pid);
        d->pid = 0;
        return 0;
    }
    return 1;
}

void it_daemon_stop(it_daemon_t *d)
{
    int status = it_daemon_signal_wait(d, SIGTERM);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        s_print_tail(d->log, S_LOG_TAIL_LINES);
        if (status == -1) {
            s_fail("plaintd did not exit within %d ms of SIGTERM", S_STOP_TIMEOUT_MS);
        }
        s_fail("plaintd stopped with %s %d after SIGTERM, expected exit status 0",
               WIFEXITED(status) ? "exit status" : "signal",
               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    }
}

void it_daemon_log_tail(const it_daemon_t *d, int lines)
{
    s_print_tail(d->log, lines);
}

int it_log_wait(const it_daemon_t *d, const char *needle, int timeout_ms)
{
    long long deadline = s_now_ms() + timeout_ms;
    for (;;) {
        char *text = it_read_file(d->log, NULL);
        int found = text && strstr(text, needle) != NULL;
        free(text);
        if (found) {
            return 1;
        }
        if (s_now_ms() >= deadline) {
            return 0;
        }
        it_sleep_ms(20);
    }
}

/* ---- checks ------------------------------------------------------------------ */

int it_match(const char *s, const char *re)
{
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) {
        s_fail("bad regular expression %s", re);
    }
    int ok = s && regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

void it_check_(int ok, const char *expr, const char *file, int line)
{
    if (!ok) {
        s_fail("%s:%d: check failed: %s", file, line, expr);
    }
}

void it_check_int_(long long a, long long b, const char *ea, const char *eb, const char *file,
                   int line)
{
    if (a != b) {
        s_fail("%s:%d: check failed: %s == %s\n  %s = %lld\n  %s = %lld", file, line, ea, eb, ea, a,
               eb, b);
    }
}

void it_check_str_(const char *a, const char *b, const char *ea, const char *eb, const char *file,
                   int line)
{
    if (!a || !b || strcmp(a, b) != 0) {
        s_fail("%s:%d: check failed: %s == %s\n  %s = %s%s%s\n  %s = %s%s%s", file, line, ea, eb,
               ea, a ? "\"" : "", a ? a : "NULL", a ? "\"" : "", eb, b ? "\"" : "", b ? b : "NULL",
               b ? "\"" : "");
    }
}

/* ---- main ----------------------------------------------------------------- */

int it_main(int argc, char **argv, const it_test_t *tests)
{
    const char *slash = strrchr(argv[0], '/');
    s_prog = slash ? slash + 1 : argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    atexit(s_at_exit);
    if (argc > 2) {
        fprintf(stderr, "usage: %s [TEST]\n", s_prog);
        return 2;
    }
    int ran = 0;
    for (const it_test_t *t = tests; t->name; t++) {
        if (argc == 2 && strcmp(argv[1], t->name) != 0) {
            continue;
        }
        s_current_test = t->name;
        size_t temps_before = s_temp_count;
        long long start = s_now_ms();
        t->fn();
        printf("ok %s (%lld ms)\n", t->name, s_now_ms() - start);
        s_current_test = "";
        ran++;
        /* A passed test's logs and files are of no more use. */
        s_remove_temps(temps_before);
    }
    if (ran == 0) {
        fprintf(stderr, "%s: no test named %s; tests:\n", s_prog, argc == 2 ? argv[1] : "");
        for (const it_test_t *t = tests; t->name; t++) {
            fprintf(stderr, "  %s\n", t->name);
        }
        return 2;
    }
    s_at_exit();
    s_cache_drop();
    s_remove_temps(0);
    if (s_zctx) {
        zmq_ctx_term(s_zctx);
        s_zctx = NULL;
    }
    printf("%d test%s passed\n", ran, ran == 1 ? "" : "s");
    return 0;
}

/* ---- request and configuration helpers ------------------------------------------ */

json_t *it_call(const it_daemon_t *d, json_t *request, int timeout_ms)
{
    IT_CHECK(request != NULL);
    json_t *reply = it_request_json(d->ingest, request, timeout_ms);
    json_decref(request);
    if (!reply) {
        it_daemon_log_tail(d, 30);
        s_fail("no reply from plaintd within %d ms", timeout_ms);
    }
    return reply;
}

void it_check_ok(const json_t *reply)
{
    if (!json_is_true(json_object_get(reply, "ok"))) {
        char *text = json_dumps(reply, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(stderr, "reply: %s\n", text ? text : "?");
        free(text);
    }
    IT_CHECK(json_is_true(json_object_get(reply, "ok")));
}

char *it_config_checked(const char *hint, const char *text)
{
    char *path = it_temp_file(hint, text);
    const char *argv[] = {"plaintd", "--check-config", path, NULL};
    char *out = NULL, *err = NULL;
    int rc = it_run(argv, NULL, &out, &err);
    if (rc != 0) {
        fprintf(stderr, "%s\n--\n%s%s", text, out ? out : "", err ? err : "");
    }
    IT_CHECK_INT(rc, 0);
    free(out);
    free(err);
    return path;
}

/* ---- JSON and word-list helpers ------------------------------------------------------- */

const char *it_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

void it_dump(const char *label, const json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    fprintf(stderr, "%s: %s\n", label, text ? text : "(null)");
    free(text);
}

int it_has_word(const char *words, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = words; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && memcmp(p, word, n) == 0) {
            return 1;
        }
        p += len;
        p += strspn(p, " ");
    }
    return 0;
}

size_t it_word_count(const char *words)
{
    size_t n = 0;
    for (const char *p = words + strspn(words, " "); *p; p += strspn(p, " ")) {
        p += strcspn(p, " ");
        n++;
    }
    return n;
}

int it_same_words(const json_t *array, const char *words)
{
    if (!json_is_array(array) || json_array_size(array) != it_word_count(words)) {
        return 0;
    }
    size_t i, j;
    json_t *item, *other;
    json_array_foreach(array, i, item) {
        if (!json_is_string(item) || !it_has_word(words, json_string_value(item))) {
            return 0;
        }
        json_array_foreach(array, j, other) {
            if (j < i && json_equal(item, other)) {
                return 0;
            }
        }
    }
    return 1;
}
