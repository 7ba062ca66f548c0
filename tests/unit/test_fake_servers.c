/*
 * Self-tests of the test doubles tests/support/fake_http and fake_smtp:
 * libcurl (the notifier's client) talks to them as it would to a webhook
 * sink or a mail relay, and a few raw-socket dialogues pin the protocol
 * details libcurl does not exercise. Every transfer has a timeout.
 * Run one test with: test_fake_servers <name-pattern>
 */
/* cmocka.h needs these first; the blank line keeps clang-format from sorting it above them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pl_err.h"
#include "fake_http.h"
#include "fake_smtp.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A bound for every transfer that is expected to finish. */
#define S_TRANSFER_MS 5000L

static const char s_default_body[] = "{\"errcode\":0,\"errmsg\":\"ok\"}";

static long s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- libcurl helpers -------------------------------------------------------- */

typedef struct {
    char data[8192];
    size_t size;
} s_sink_t;

static size_t s_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    s_sink_t *sink = userdata;
    size_t n = size * nmemb;
    size_t room = sizeof sink->data - 1 - sink->size;
    size_t take = n < room ? n : room;
    memcpy(sink->data + sink->size, ptr, take);
    sink->size += take;
    sink->data[sink->size] = '\0';
    return n;
}

/* Feeds `text` to libcurl at most `piece` bytes per call. */
typedef struct {
    const char *text;
    size_t left;
    size_t piece;
} s_source_t;

static size_t s_read_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
    s_source_t *src = userdata;
    size_t n = size * nitems;
    if (src->piece && n > src->piece)
        n = src->piece;
    if (n > src->left)
        n = src->left;
    memcpy(buf, src->text, n);
    src->text += n;
    src->left -= n;
    return n;
}

static CURL *s_easy(const char *url, s_sink_t *sink)
{
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, S_TRANSFER_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, s_write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    return h;
}

static long s_status(CURL *h)
{
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* ---- raw socket helpers ----------------------------------------------------- */

static int s_raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void s_raw_send(int fd, const char *text)
{
    size_t n = strlen(text);
    assert_int_equal(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads until the peer closes (or the 3 s receive timeout). */
static void s_raw_read_all(int fd, char *buf, size_t size)
{
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + got, size - 1 - got, 0);
        if (n <= 0 || got + (size_t)n >= size - 1) {
            if (n > 0)
                got += (size_t)n;
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
}

/* Reads one SMTP reply (all its lines) and returns its code. */
static int s_raw_reply(int fd, char *buf, size_t size)
{
    size_t got = 0;
    size_t line_start = 0;
    for (;;) {
        char ch;
        ssize_t n = recv(fd, &ch, 1, 0);
        if (n <= 0)
            fail_msg("no SMTP reply (so far: \"%.*s\")", (int)got, buf);
        if (got + 1 < size)
            buf[got++] = ch;
        buf[got] = '\0';
        if (ch == '\n') {
            /* The last line of a reply has a blank after the code. */
            if (got - line_start >= 4 && buf[line_start + 3] == ' ')
                return atoi(buf + line_start);
            line_start = got;
        }
    }
}

static void s_raw_expect(int fd, const char *command, int code)
{
    char buf[1024];
    if (command)
        s_raw_send(fd, command);
    int got = s_raw_reply(fd, buf, sizeof buf);
    if (got != code)
        fail_msg("after %s expected %d, got: %s", command ? command : "(connect)", code, buf);
}

static size_t s_count_of(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- HTTP --------------------------------------------------------------- */

static void test_http_post_json(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    assert_true(fake_http_port(f) > 0);
    char url[128];
    fake_http_url(f, "/cgi-bin/webhook/send?key=abc-123", url, sizeof url);

    const char *body = "{\"msgtype\":\"text\",\"text\":{\"content\":\"【超时】C-1 已超时\"}}";
    s_sink_t sink = {0};
    CURL *h = s_easy(url, &sink);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Idempotency-Key: outbox-42-1");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 200);
    assert_string_equal(sink.data, s_default_body);
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    assert_non_null(ct);
    assert_string_equal(ct, "application/json; charset=utf-8");
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);

    assert_int_equal(fake_http_wait(f, 1, 2000), 1);
    assert_int_equal(fake_http_count(f), 1);
    fake_http_req_t r;
    assert_int_equal(fake_http_request(f, 0, &r), 0);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.path, "/cgi-bin/webhook/send?key=abc-123");
    assert_string_equal(r.version, "HTTP/1.1");
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.idempotency_key, "outbox-42-1");
    assert_int_equal(r.content_length, (long)strlen(body));
    assert_false(r.chunked);
    assert_false(r.expect_continue);
    assert_int_equal(r.body_size, strlen(body));
    assert_string_equal(r.body, body);
    assert_int_equal(r.connection, 1);
    assert_string_equal(fake_http_req_header(&r, "idempotency-KEY"), "outbox-42-1");
    assert_non_null(fake_http_req_header(&r, "Host"));
    assert_null(fake_http_req_header(&r, "X-Missing"));
    fake_http_req_clear(&r);
    assert_null(r.body);
    fake_http_req_clear(&r); /* twice is harmless */

    assert_int_equal(fake_http_request(f, 1, &r), PL_ENOENT);
    assert_null(r.method);
    fake_http_stop(&f);
    assert_null(f);
    fake_http_stop(&f);
    fake_http_stop(NULL);
}

static void test_http_chunked_post(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    char url[128];
    fake_http_url(f, "/hook", url, sizeof url);

    char text[3000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    s_source_t src = {text, sizeof text, 700};
    s_sink_t sink = {0};
    CURL *h = s_easy(url, &sink);
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, s_read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &src);
    /* libcurl asks for 100 Continue before a body of unknown size; with a
     * long wait for it, a quick transfer proves the fake said go ahead. */
    curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 4000L);
    long t0 = s_now_ms();
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_true(s_now_ms() - t0 < 3000);
    assert_int_equal(s_status(h), 200);
    assert_string_equal(sink.data, s_default_body);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);

    fake_http_req_t r;
    assert_int_equal(fake_http_request(f, 0, &r), 0);
    assert_true(r.chunked);
    assert_true(r.expect_continue);
    assert_int_equal(r.content_length, -1);
    assert_int_equal(r.body_size, sizeof text);
    assert_memory_equal(r.body, text, sizeof text);
    assert_int_equal(r.body[r.body_size], '\0');
    fake_http_req_clear(&r);
    fake_http_stop(&f);
}

static void test_http_keepalive(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    s_sink_t sink = {0};
    CURL *h = s_easy("http://127.0.0.1/", &sink);
    const char *paths[] = {"/a", "/b?x=1", "/c"};
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        char url[128];
        curl_easy_setopt(h, CURLOPT_URL, fake_http_url(f, paths[i], url, sizeof url));
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
        sink.size = 0;
        assert_int_equal(curl_easy_perform(h), CURLE_OK);
        assert_int_equal(s_status(h), 200);
        long connects = -1;
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        assert_int_equal(connects, i == 0 ? 1 : 0);
    }
    curl_easy_cleanup(h);

    assert_int_equal(fake_http_count(f), 3);
    assert_int_equal(fake_http_connections(f), 1);
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        fake_http_req_t r;
        assert_int_equal(fake_http_request(f, i, &r), 0);
        assert_string_equal(r.path, paths[i]);
        assert_string_equal(r.body, "{}");
        assert_int_equal(r.connection, 1);
        fake_http_req_clear(&r);
    }
    fake_http_stop(&f);
}

static void test_http_script(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    char url[128];
    fake_http_url(f, "/send", url, sizeof url);
    const char *busy = "{\"errcode\":-1,\"errmsg\":\"system busy\"}";
    assert_int_equal(fake_http_script(f, 500, busy), 0);
    assert_int_equal(fake_http_script_headers(f, 429, "Retry-After: 7", "{\"errcode\":45009}"), 0);

    s_sink_t sink = {0};
    CURL *h = s_easy(url, &sink);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"n\":1}");
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 500);
    assert_string_equal(sink.data, busy);

    sink.size = 0;
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 429);
    assert_string_equal(sink.data, "{\"errcode\":45009}");
    curl_off_t retry_after = 0;
    curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after);
    assert_int_equal(retry_after, 7);

    /* The script is used up: the default answers. */
    sink.size = 0;
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 200);
    assert_string_equal(sink.data, s_default_body);

    assert_int_equal(fake_http_default(f, 404, "{\"errcode\":404}"), 0);
    sink.size = 0;
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 404);
    assert_string_equal(sink.data, "{\"errcode\":404}");

    /* No body for 204, and the connection stays usable. */
    assert_int_equal(fake_http_script(f, 204, "ignored"), 0);
    sink.size = 0;
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 204);
    assert_int_equal(sink.size, 0);
    curl_easy_cleanup(h);

    assert_int_equal(fake_http_count(f), 5);
    assert_int_equal(fake_http_connections(f), 1);
    /* A bounded wait for more than will come returns the count in time. */
    long t0 = s_now_ms();
    assert_int_equal(fake_http_wait(f, 6, 200), 5);
    long waited = s_now_ms() - t0;
    assert_true(waited >= 150 && waited < 2000);
    fake_http_stop(&f);
}

static void test_http_hang(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    char url[128];
    fake_http_url(f, "/dead", url, sizeof url);
    fake_http_hang(f, 1);

    s_sink_t sink = {0};
    CURL *h = s_easy(url, &sink);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{\"n\":1}");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 500L);
    long t0 = s_now_ms();
    assert_int_equal(curl_easy_perform(h), CURLE_OPERATION_TIMEDOUT);
    long took = s_now_ms() - t0;
    assert_true(took >= 450 && took < 3000);
    assert_int_equal(sink.size, 0);
    /* The dead sink did receive the request. */
    assert_int_equal(fake_http_wait(f, 1, 2000), 1);

    /* Back to life: libcurl dropped the timed-out connection and reconnects. */
    fake_http_hang(f, 0);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, S_TRANSFER_MS);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 200);
    curl_easy_cleanup(h);
    assert_int_equal(fake_http_count(f), 2);
    assert_int_equal(fake_http_connections(f), 2);

    /* Stop closes a connection that is still hanging. */
    fake_http_hang(f, 1);
    int fd = s_raw_connect(fake_http_port(f));
    s_raw_send(fd, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    assert_int_equal(fake_http_wait(f, 3, 2000), 3);
    fake_http_stop(&f);
    char buf[256];
    s_raw_read_all(fd, buf, sizeof buf);
    assert_string_equal(buf, "");
    close(fd);
}

static void test_http_close_mode(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    char url[128];
    fake_http_url(f, "/gone", url, sizeof url);

    s_sink_t sink = {0};
    CURL *h = s_easy(url, &sink);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
    assert_int_equal(curl_easy_perform(h), CURLE_OK);

    /* The kept-alive connection is closed after the next request, and the
     * fresh connection libcurl retries on is closed at once. */
    fake_http_close_mode(f, 1);
    CURLcode rc = curl_easy_perform(h);
    assert_int_not_equal(rc, CURLE_OK);
    assert_int_equal(fake_http_count(f), 2);

    fake_http_close_mode(f, 0);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    assert_int_equal(s_status(h), 200);
    curl_easy_cleanup(h);
    assert_int_equal(fake_http_count(f), 3);
    fake_http_stop(&f);
}

static void test_http_parallel(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    enum { N = 4 };
    CURLM *m = curl_multi_init();
    assert_non_null(m);
    CURL *h[N];
    s_sink_t sinks[N];
    memset(sinks, 0, sizeof sinks);
    for (int i = 0; i < N; i++) {
        char path[32], url[128];
        snprintf(path, sizeof path, "/p%d", i);
        h[i] = s_easy(fake_http_url(f, path, url, sizeof url), &sinks[i]);
        curl_easy_setopt(h[i], CURLOPT_COPYPOSTFIELDS, path);
        assert_int_equal(curl_multi_add_handle(m, h[i]), CURLM_OK);
    }
    long deadline = s_now_ms() + S_TRANSFER_MS;
    int running = N;
    while (running > 0 && s_now_ms() < deadline) {
        assert_int_equal(curl_multi_perform(m, &running), CURLM_OK);
        if (running)
            assert_int_equal(curl_multi_poll(m, NULL, 0, 100, NULL), CURLM_OK);
    }
    assert_int_equal(running, 0);
    int done = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        assert_int_equal(msg->msg, CURLMSG_DONE);
        assert_int_equal(msg->data.result, CURLE_OK);
        done++;
    }
    assert_int_equal(done, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(s_status(h[i]), 200);
        assert_string_equal(sinks[i].data, s_default_body);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
    }
    curl_multi_cleanup(m);

    assert_int_equal(fake_http_count(f), N);
    assert_true(fake_http_connections(f) >= 2);
    /* Each request's body names its own path. */
    for (size_t i = 0; i < N; i++) {
        fake_http_req_t r;
        assert_int_equal(fake_http_request(f, i, &r), 0);
        assert_string_equal(r.body, r.path);
        fake_http_req_clear(&r);
    }
    fake_http_stop(&f);
}

/* Pipelined requests in one write, lower-case names, chunk extensions and
 * trailers, Connection: close, and a malformed request. */
static void test_http_raw(void **state)
{
    fake_http_t *f = fake_http_start();
    assert_non_null(f);
    int fd = s_raw_connect(fake_http_port(f));
    s_raw_send(fd, "POST /one HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n"
                   "idempotency-key: raw-1\r\n\r\nhello"
                   "\r\n" /* a stray empty line between requests is ignored */
                   "POST /two HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n"
                   "GET /three?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    char buf[4096];
    s_raw_read_all(fd, buf, sizeof buf);
    close(fd);
    assert_int_equal(s_count_of(buf, "HTTP/1.1 200 OK\r\n"), 3);
    assert_int_equal(s_count_of(buf, "Connection: close\r\n"), 1);
    assert_int_equal(fake_http_count(f), 3);

    fake_http_req_t r;
    assert_int_equal(fake_http_request(f, 0, &r), 0);
    assert_string_equal(r.path, "/one");
    assert_string_equal(r.body, "hello");
    assert_int_equal(r.content_length, 5);
    assert_string_equal(r.idempotency_key, "raw-1");
    assert_null(r.content_type);
    fake_http_req_clear(&r);
    assert_int_equal(fake_http_request(f, 1, &r), 0);
    assert_string_equal(r.path, "/two");
    assert_true(r.chunked);
    assert_string_equal(r.body, "abcdefg");
    fake_http_req_clear(&r);
    assert_int_equal(fake_http_request(f, 2, &r), 0);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.path, "/three?q=1");
    assert_int_equal(r.body_size, 0);
    assert_string_equal(r.body, "");
    fake_http_req_clear(&r);

    /* A request arriving in pieces is recorded once it is whole. */
    fd = s_raw_connect(fake_http_port(f));
    s_raw_send(fd, "PUT /slow HTTP/1.1\r\nHo");
    usleep(50 * 1000);
    s_raw_send(fd, "st: x\r\nContent-Length: 4\r\n\r\nab");
    usleep(50 * 1000);
    assert_int_equal(fake_http_count(f), 3);
    s_raw_send(fd, "cd");
    assert_int_equal(fake_http_wait(f, 4, 2000), 4);
    close(fd);

    /* Bad syntax: 400, the connection closes, nothing recorded. */
    fd = s_raw_connect(fake_http_port(f));
    s_raw_send(fd, "BROKEN\r\n\r\n");
    s_raw_read_all(fd, buf, sizeof buf);
    close(fd);
    assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
    fd = s_raw_connect(fake_http_port(f));
    s_raw_send(fd, "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n");
    s_raw_read_all(fd, buf, sizeof buf);
    close(fd);
    assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request\r\n"));
    assert_int_equal(fake_http_count(f), 4);
    fake_http_stop(&f);
}

/* ---- SMTP --------------------------------------------------------------- */

typedef struct {
    const char *user; /* NULL: no AUTH */
    const char *password;
    const char *login_options; /* "AUTH=PLAIN" */
    long timeout_ms;
} s_mail_opts_t;

/* Sends `payload` from `from` to the NULL-terminated `rcpts`; returns the
 * result and the last SMTP reply code in *code. */
static CURLcode s_mail(fake_smtp_t *f, const char *from, const char *const *rcpts,
                       const char *payload, const s_mail_opts_t *o, long *code)
{
    char url[128];
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, fake_smtp_url(f, url, sizeof url));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o && o->timeout_ms ? o->timeout_ms : S_TRANSFER_MS);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    struct curl_slist *list = NULL;
    for (size_t i = 0; rcpts[i]; i++)
        list = curl_slist_append(list, rcpts[i]);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list);
    s_source_t src = {payload, strlen(payload), 0};
    curl_easy_setopt(h, CURLOPT_READFUNCTION, s_read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &src);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    if (o && o->user) {
        curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, o->password);
        if (o->login_options)
            curl_easy_setopt(h, CURLOPT_LOGIN_OPTIONS, o->login_options);
    }
    CURLcode rc = curl_easy_perform(h);
    *code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, code);
    curl_slist_free_all(list);
    curl_easy_cleanup(h);
    return rc;
}

static const char s_payload[] = "From: Plaint <plaint@example.com>\r\n"
                                "To: quality@example.com, duty@example.com\r\n"
                                "Subject: =?UTF-8?B?6LaF5pe2?=\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "\r\n"
                                "【超时】C-2026-000123 已超时\r\n"
                                ".a line that starts with a dot\r\n"
                                "..and one with two\r\n"
                                ".\tdot tab\r\n"
                                "last line\r\n";

static const char *const s_two_rcpts[] = {"<quality@example.com>", "<duty@example.com>", NULL};

static void s_check_message(fake_smtp_t *f, size_t i, const char *mechanism)
{
    fake_smtp_msg_t m;
    assert_int_equal(fake_smtp_message(f, i, &m), 0);
    assert_string_equal(m.from, "plaint@example.com");
    assert_int_equal(m.rcpts_count, 2);
    assert_string_equal(m.rcpts[0], "quality@example.com");
    assert_string_equal(m.rcpts[1], "duty@example.com");
    assert_int_equal(m.data_size, strlen(s_payload));
    assert_string_equal(m.data, s_payload);
    assert_true(m.helo[0] != '\0');
    if (mechanism) {
        assert_string_equal(m.auth_mechanism, mechanism);
        assert_string_equal(m.auth_user, "robot@example.com");
        assert_string_equal(m.auth_password, "s3cret pass");
    } else {
        assert_null(m.auth_mechanism);
        assert_null(m.auth_user);
    }
    fake_smtp_msg_clear(&m);
    assert_null(m.data);
}

static void test_smtp_auth_plain(void **state)
{
    fake_smtp_t *f = fake_smtp_start();
    assert_non_null(f);
    assert_true(fake_smtp_port(f) > 0);
    s_mail_opts_t o = {"robot@example.com", "s3cret pass", "AUTH=PLAIN", 0};
    long code;
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                     CURLE_OK);
    assert_int_equal(code, 250);
    assert_int_equal(fake_smtp_wait(f, 1, 2000), 1);
    s_check_message(f, 0, "PLAIN");

    fake_smtp_msg_t m;
    assert_int_equal(fake_smtp_message(f, 1, &m), PL_ENOENT);
    assert_null(m.from);
    fake_smtp_stop(&f);
    assert_null(f);
    fake_smtp_stop(&f);
    fake_smtp_stop(NULL);
}

static void test_smtp_auth_login(void **state)
{
    fake_smtp_t *f = fake_smtp_start();
    assert_non_null(f);
    assert_int_equal(fake_smtp_credentials(f, "robot@example.com", "s3cret pass"), 0);
    s_mail_opts_t o = {"robot@example.com", "s3cret pass", "AUTH=LOGIN", 0};
    long code;
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                     CURLE_OK);
    s_check_message(f, 0, "LOGIN");

    /* Wrong password, and no AUTH at all, are both refused. */
    s_mail_opts_t bad = {"robot@example.com", "wrong", "AUTH=PLAIN", 0};
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &bad, &code),
                     CURLE_LOGIN_DENIED);
    assert_int_equal(code, 535);
    assert_int_not_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, NULL, &code),
                         CURLE_OK);
    assert_int_equal(code, 530);
    assert_int_equal(fake_smtp_count(f), 1);

    /* Without required credentials, a session need not authenticate. */
    assert_int_equal(fake_smtp_credentials(f, NULL, NULL), 0);
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, NULL, &code),
                     CURLE_OK);
    s_check_message(f, 1, NULL);
    assert_int_equal(fake_smtp_connections(f), 4);
    fake_smtp_stop(&f);
}

static void test_smtp_fail_then_succeed(void **state)
{
    fake_smtp_t *f = fake_smtp_start();
    assert_non_null(f);
    s_mail_opts_t o = {"robot@example.com", "s3cret pass", NULL, 0};
    long code;

    fake_smtp_fail_next(f, 1, 451);
    assert_int_not_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                         CURLE_OK);
    assert_int_equal(code, 451);
    assert_int_equal(fake_smtp_count(f), 0);
    assert_int_equal(fake_smtp_rejected_count(f), 1);
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                     CURLE_OK);
    assert_int_equal(fake_smtp_count(f), 1);
    s_check_message(f, 0, "PLAIN");

    /* At the end of DATA: the whole message is sent, then refused. */
    fake_smtp_fail_next_at(f, 2, 554, FAKE_SMTP_AT_DATA);
    for (int i = 0; i < 2; i++) {
        assert_int_not_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                             CURLE_OK);
        assert_int_equal(code, 554);
    }
    assert_int_equal(fake_smtp_rejected_count(f), 3);
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                     CURLE_OK);
    assert_int_equal(fake_smtp_count(f), 2);
    s_check_message(f, 1, "PLAIN");
    fake_smtp_stop(&f);
}

static void test_smtp_hang(void **state)
{
    fake_smtp_t *f = fake_smtp_start();
    assert_non_null(f);
    fake_smtp_hang(f, 1);
    s_mail_opts_t o = {NULL, NULL, NULL, 500};
    long code;
    long t0 = s_now_ms();
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, &o, &code),
                     CURLE_OPERATION_TIMEDOUT);
    long took = s_now_ms() - t0;
    assert_true(took >= 450 && took < 3000);
    fake_smtp_hang(f, 0);
    assert_int_equal(s_mail(f, "<plaint@example.com>", s_two_rcpts, s_payload, NULL, &code),
                     CURLE_OK);
    assert_int_equal(fake_smtp_count(f), 1);
    long t1 = s_now_ms();
    assert_int_equal(fake_smtp_wait(f, 2, 200), 1);
    assert_true(s_now_ms() - t1 >= 150);
    fake_smtp_stop(&f);
}

/* The commands libcurl does not send, and AUTH without initial responses. */
static void test_smtp_raw(void **state)
{
    fake_smtp_t *f = fake_smtp_start();
    assert_non_null(f);
    int fd = s_raw_connect(fake_smtp_port(f));
    s_raw_expect(fd, NULL, 220);
    s_raw_expect(fd, "HELO client.example\r\n", 250);
    s_raw_expect(fd, "NOOP\r\n", 250);
    s_raw_expect(fd, "VRFY someone\r\n", 252);
    s_raw_expect(fd, "FROB\r\n", 502);
    s_raw_expect(fd, "STARTTLS\r\n", 454);
    s_raw_expect(fd, "RCPT TO:<a@example.com>\r\n", 503);
    s_raw_expect(fd, "DATA\r\n", 503);
    s_raw_expect(fd, "AUTH CRAM-MD5\r\n", 504);
    /* AUTH PLAIN, response on its own line: "\0u\0p". */
    s_raw_expect(fd, "AUTH PLAIN\r\n", 334);
    s_raw_expect(fd, "AHUAcA==\r\n", 235);
    s_raw_expect(fd, "AUTH PLAIN AHUAcA==\r\n", 503);
    /* A transaction, reset, then a second one (lower case, no brackets). */
    s_raw_expect(fd, "MAIL FROM:<x@example.com> SIZE=10 BODY=8BITMIME\r\n", 250);
    s_raw_expect(fd, "MAIL FROM:<y@example.com>\r\n", 503);
    s_raw_expect(fd, "RCPT TO:<a@example.com>\r\n", 250);
    s_raw_expect(fd, "RSET\r\n", 250);
    s_raw_expect(fd, "DATA\r\n", 503);
    s_raw_expect(fd, "mail from:<>\r\n", 250);
    s_raw_expect(fd, "rcpt to:b@example.com\r\n", 250);
    s_raw_expect(fd, "data\r\n", 354);
    s_raw_expect(fd, "Subject: x\r\n\r\n..\r\n...two\r\nbare lf\n.\r\n", 250);
    s_raw_expect(fd, "QUIT\r\n", 221);
    char rest[64];
    s_raw_read_all(fd, rest, sizeof rest);
    assert_string_equal(rest, ""); /* closed after 221 */
    close(fd);

    fake_smtp_msg_t m;
    assert_int_equal(fake_smtp_message(f, 0, &m), 0);
    assert_string_equal(m.helo, "client.example");
    assert_string_equal(m.from, "");
    assert_int_equal(m.rcpts_count, 1);
    assert_string_equal(m.rcpts[0], "b@example.com");
    assert_string_equal(m.data, "Subject: x\r\n\r\n.\r\n..two\r\nbare lf\n");
    assert_string_equal(m.auth_mechanism, "PLAIN");
    assert_string_equal(m.auth_user, "u");
    assert_string_equal(m.auth_password, "p");
    fake_smtp_msg_clear(&m);

    /* AUTH LOGIN with the user name as initial response; then cancelled. */
    fd = s_raw_connect(fake_smtp_port(f));
    s_raw_expect(fd, NULL, 220);
    s_raw_expect(fd, "EHLO c\r\n", 250);
    s_raw_expect(fd, "AUTH LOGIN\r\n", 334);
    s_raw_expect(fd, "*\r\n", 501);
    s_raw_expect(fd, "AUTH LOGIN dXNlcg==\r\n", 334); /* "user" */
    s_raw_expect(fd, "cGFzcw==\r\n", 235);            /* "pass" */
    s_raw_expect(fd, "MAIL FROM:<x@example.com>\r\n", 250);
    s_raw_expect(fd, "RCPT TO:<a@example.com>\r\n", 250);
    s_raw_expect(fd, "DATA\r\n", 354);
    s_raw_expect(fd, "hi\r\n.\r\n", 250);
    close(fd); /* no QUIT: the fake copes */
    assert_int_equal(fake_smtp_wait(f, 2, 2000), 2);
    assert_int_equal(fake_smtp_message(f, 1, &m), 0);
    assert_string_equal(m.auth_mechanism, "LOGIN");
    assert_string_equal(m.auth_user, "user");
    assert_string_equal(m.auth_password, "pass");
    assert_string_equal(m.data, "hi\r\n");
    fake_smtp_msg_clear(&m);
    fake_smtp_stop(&f);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_post_json),
        cmocka_unit_test(test_http_chunked_post),
        cmocka_unit_test(test_http_keepalive),
        cmocka_unit_test(test_http_script),
        cmocka_unit_test(test_http_hang),
        cmocka_unit_test(test_http_close_mode),
        cmocka_unit_test(test_http_parallel),
        cmocka_unit_test(test_http_raw),
        cmocka_unit_test(test_smtp_auth_plain),
        cmocka_unit_test(test_smtp_auth_login),
        cmocka_unit_test(test_smtp_fail_then_succeed),
        cmocka_unit_test(test_smtp_hang),
        cmocka_unit_test(test_smtp_raw),
    };
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
