#include "workers/notifier.h"

#include "common/pl_log.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* A sink's answer is read up to this size; the rest is dropped (a robot
 * answers with a line of JSON). */
#define S_MAX_RESPONSE 65536
/* The thread looks at its socket at least this often (ms) even when
 * nothing wakes it. */
#define S_POLL_MS 1000

/* One attempt in flight: the job and what libcurl needs around it. */
typedef struct s_attempt {
    pl_notify_job_t *job;
    CURL *easy;
    struct curl_slist *headers;
    struct curl_slist *rcpt;
    pl_notify_message_t msg;
    const pl_notify_sink_t *sink;
    size_t sent; /* e-mail: bytes of msg.body read by libcurl */
    char *response;
    size_t response_len;
    char errbuf[CURL_ERROR_SIZE];
    pl_usec_t started;
    struct s_attempt *next;
} s_attempt_t;

struct pl_notifier {
    void *sock; /* PAIR, used by the thread only once it runs */
    CURLM *multi;
    pthread_t thread;
    atomic_int stop;
    s_attempt_t *attempts; /* in flight */
};

void pl_notify_job_destroy(pl_notify_job_t **job_p)
{
    if (!job_p || !*job_p) {
        return;
    }
    pl_notify_job_t *job = *job_p;
    free(job->sink_id);
    free(job->topic);
    free(job->key);
    json_decref(job->payload);
    pl_notify_unref(&job->cfg);
    pl_rules_unref(&job->rules);
    free(job);
    *job_p = NULL;
}

static void s_reply(pl_notifier_t *n, pl_notify_job_t *job)
{
    int rc;
    do {
        rc = zmq_send(n->sock, &job, sizeof job, 0);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        pl_notify_job_destroy(&job); /* the daemon is going away */
    }
}

/* Ends a job without an attempt (nothing to send, or libcurl refused). */
static void s_fail(pl_notifier_t *n, pl_notify_job_t *job, pl_delivery_outcome_t outcome,
                   const char *why)
{
    job->outcome = outcome;
    job->response_code = 0;
    snprintf(job->error, sizeof job->error, "%s", why);
    job->took = 0;
    s_reply(n, job);
}

static size_t s_on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    s_attempt_t *a = arg;
    size_t len = size * nmemb;
    size_t room = S_MAX_RESPONSE - a->response_len;
    size_t keep = len < room ? len : room;
    if (keep) {
        char *grown = realloc(a->response, a->response_len + keep + 1);
        if (!grown) {
            return 0; /* libcurl reports a write error: the attempt fails, is retried */
        }
        a->response = grown;
        memcpy(a->response + a->response_len, data, keep);
        a->response_len += keep;
        a->response[a->response_len] = '\0';
    }
    return len;
}

static size_t s_on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
    s_attempt_t *a = arg;
    size_t room = size * nmemb, left = a->msg.body_len - a->sent;
    size_t n = left < room ? left : room;
    memcpy(buf, a->msg.body + a->sent, n);
    a->sent += n;
    return n;
}

static void s_attempt_free(s_attempt_t *a)
{
    if (a->easy) {
        curl_easy_cleanup(a->easy);
    }
    curl_slist_free_all(a->headers);
    curl_slist_free_all(a->rcpt);
    pl_notify_message_clear(&a->msg);
    free(a->response);
    free(a);
}

static int s_setup_http(s_attempt_t *a, const pl_notify_job_t *job)
{
    char line[512];
    struct curl_slist *h = NULL, *t;
    h = curl_slist_append(h, "Content-Type: application/json; charset=utf-8");
    snprintf(line, sizeof line, "Idempotency-Key: %s", job->key);
    t = h ? curl_slist_append(h, line) : NULL;
    h = t ? t : h;
    t = h ? curl_slist_append(h, "Expect:") : NULL; /* no 100-continue round trip */
    h = t ? t : h;
    a->headers = h;
    if (!h) {
        return -1;
    }
    CURL *e = a->easy;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, a->msg.body) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)a->msg.body_len) !=
           CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, s_on_write) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, a) != CURLE_OK;
    return bad ? -1 : 0;
}

static int s_setup_smtp(s_attempt_t *a)
{
    const pl_notify_sink_t *sink = a->sink;
    char from[512];
    snprintf(from, sizeof from, "<%s>", sink->from);
    for (size_t i = 0; i < a->msg.rcpt_count; i++) {
        char to[512];
        snprintf(to, sizeof to, "<%s>", a->msg.rcpt[i]);
        struct curl_slist *t = curl_slist_append(a->rcpt, to);
        if (!t) {
            return -1;
        }
        a->rcpt = t;
    }
    CURL *e = a->easy;
    int bad = 0;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAIL_FROM, from) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAIL_RCPT, a->rcpt) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_READFUNCTION, s_on_read) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_READDATA, a) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->msg.body_len) != CURLE_OK;
    /* smtp:// upgrades with STARTTLS, and by default refuses to go on in
     * clear (notify.sinks[].starttls). */
    bad |= curl_easy_setopt(e, CURLOPT_USE_SSL,
                            (long)(sink->starttls_optional ? CURLUSESSL_TRY : CURLUSESSL_ALL)) !=
           CURLE_OK;
    if (sink->username) {
        bad |= curl_easy_setopt(e, CURLOPT_USERNAME, sink->username) != CURLE_OK;
    }
    if (sink->password) {
        bad |= curl_easy_setopt(e, CURLOPT_PASSWORD, sink->password) != CURLE_OK;
    }
    return bad ? -1 : 0;
}

/* Starts one attempt; answers the job at once when it cannot start. */
static void s_begin(pl_notifier_t *n, pl_notify_job_t *job)
{
    const pl_notify_sink_t *sink = pl_notify_sink_get(job->cfg, job->sink_id);
    if (!sink) {
        s_fail(n, job, PL_DELIVERY_RETRY, "the sink is not in the configuration");
        return;
    }
    s_attempt_t *a = calloc(1, sizeof *a);
    if (!a) {
        s_fail(n, job, PL_DELIVERY_RETRY, "out of memory");
        return;
    }
    a->job = job;
    a->sink = sink;
    a->started = pl_monotonic_usec();
    int rc = pl_notify_build(job->cfg, sink, job->rules, job->topic, job->payload, job->key,
                             pl_now(), &a->msg);
    if (rc == PL_ENOENT) {
        s_attempt_free(a);
        s_fail(n, job, PL_DELIVERY_PERMANENT, "nobody to send it to (no e-mail address)");
        return;
    }
    if (rc != 0) {
        s_attempt_free(a);
        s_fail(n, job, rc == PL_EINVAL ? PL_DELIVERY_PERMANENT : PL_DELIVERY_RETRY,
               rc == PL_EINVAL ? "the topic has no template" : "out of memory");
        return;
    }
    a->easy = curl_easy_init();
    int bad = !a->easy;
    if (!bad) {
        CURL *e = a->easy;
        long timeout_ms = (long)(sink->timeout / 1000);
        bad |= curl_easy_setopt(e, CURLOPT_URL, sink->url) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, a) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->errbuf) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "plaint/" PL_VERSION) != CURLE_OK;
        bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
        if (!bad) {
            bad = sink->type == PL_SINK_EMAIL ? s_setup_smtp(a) : s_setup_http(a, job);
        }
    }
    if (bad || curl_multi_add_handle(n->multi, a->easy) != CURLM_OK) {
        s_attempt_free(a);
        s_fail(n, job, PL_DELIVERY_RETRY, "libcurl refused the request");
        return;
    }
    a->next = n->attempts;
    n->attempts = a;
}

/* The outcome of an SMTP transfer: 4xx replies are temporary, 5xx final. */
static pl_delivery_outcome_t s_judge_smtp(CURLcode res, long code, char *why, size_t size)
{
    if (res == CURLE_OK) {
        why[0] = '\0';
        return PL_DELIVERY_OK;
    }
    if (code >= 500 && code < 600) {
        snprintf(why, size, "SMTP %ld", code);
        return PL_DELIVERY_PERMANENT;
    }
    if (res == CURLE_LOGIN_DENIED) {
        snprintf(why, size, "SMTP login denied");
        return PL_DELIVERY_PERMANENT;
    }
    if (code >= 400) {
        snprintf(why, size, "SMTP %ld", code);
    } else {
        snprintf(why, size, "%s", curl_easy_strerror(res));
    }
    return PL_DELIVERY_RETRY;
}

static void s_finish(pl_notifier_t *n, CURL *easy, CURLcode res)
{
    s_attempt_t *a = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&a);
    if (!a) {
        return;
    }
    for (s_attempt_t **p = &n->attempts; *p; p = &(*p)->next) {
        if (*p == a) {
            *p = a->next;
            break;
        }
    }
    curl_multi_remove_handle(n->multi, easy);
    pl_notify_job_t *job = a->job;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    job->response_code = code;
    job->took = pl_monotonic_usec() - a->started;
    if (a->sink->type == PL_SINK_EMAIL) {
        job->outcome = s_judge_smtp(res, code, job->error, sizeof job->error);
    } else if (res != CURLE_OK) {
        /* A transport error: no answer to judge. errbuf names the host at
         * most, never the path or query where robots keep their keys. */
        job->outcome = pl_notify_judge(a->sink->type, 0, NULL, 0, NULL, 0);
        snprintf(job->error, sizeof job->error, "%s",
                 a->errbuf[0] ? a->errbuf : curl_easy_strerror(res));
        job->response_code = 0;
    } else {
        job->outcome = pl_notify_judge(a->sink->type, code, a->response, a->response_len,
                                       job->error, sizeof job->error);
    }
    if (job->outcome == PL_DELIVERY_OK) {
        job->error[0] = '\0';
    }
    a->job = NULL;
    s_attempt_free(a);
    s_reply(n, job);
}

static void s_drain_socket(pl_notifier_t *n)
{
    for (;;) {
        pl_notify_job_t *job = NULL;
        int rc = zmq_recv(n->sock, &job, sizeof job, ZMQ_DONTWAIT);
        if (rc < 0) {
            if (errno == EINTR) {
                continue;
            }
            return; /* EAGAIN: nothing more */
        }
        if (rc == (int)sizeof job && job) {
            s_begin(n, job);
        }
    }
}

static void *s_main(void *arg)
{
    pl_notifier_t *n = arg;
    while (!atomic_load(&n->stop)) {
        s_drain_socket(n);
        int running = 0;
        curl_multi_perform(n->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
            if (m->msg == CURLMSG_DONE) {
                s_finish(n, m->easy_handle, m->data.result);
            }
        }
        curl_multi_poll(n->multi, NULL, 0, S_POLL_MS, NULL);
    }
    return NULL;
}

pl_notifier_t *pl_notifier_start(void *zctx, const char *endpoint, pl_err_t *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pl_err_set(err, PL_EIO, "notifier", NULL, "libcurl could not be initialised");
        return NULL;
    }
    pl_notifier_t *n = calloc(1, sizeof *n);
    if (!n) {
        pl_err_set(err, PL_ENOMEM, "notifier", NULL, "out of memory");
        return NULL;
    }
    atomic_init(&n->stop, 0);
    n->multi = curl_multi_init();
    n->sock = zmq_socket(zctx, ZMQ_PAIR);
    int linger = 0, hwm = 100000;
    if (n->sock) {
        zmq_setsockopt(n->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(n->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(n->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    if (!n->multi || !n->sock || zmq_connect(n->sock, endpoint) != 0 ||
        pthread_create(&n->thread, NULL, s_main, n) != 0) {
        pl_err_set(err, PL_EIO, "notifier", NULL, "could not start the notifier: %s",
                   zmq_strerror(errno));
        if (n->sock) {
            zmq_close(n->sock);
        }
        if (n->multi) {
            curl_multi_cleanup(n->multi);
        }
        free(n);
        return NULL;
    }
    return n;
}

void pl_notifier_wakeup(pl_notifier_t *notifier)
{
    if (notifier) {
        curl_multi_wakeup(notifier->multi);
    }
}

void pl_notifier_stop(pl_notifier_t **notifier_p)
{
    if (!notifier_p || !*notifier_p) {
        return;
    }
    pl_notifier_t *n = *notifier_p;
    atomic_store(&n->stop, 1);
    curl_multi_wakeup(n->multi);
    pthread_join(n->thread, NULL);
    while (n->attempts) {
        s_attempt_t *a = n->attempts;
        n->attempts = a->next;
        curl_multi_remove_handle(n->multi, a->easy);
        pl_notify_job_destroy(&a->job);
        s_attempt_free(a);
    }
    pl_notify_job_t *job = NULL;
    while (zmq_recv(n->sock, &job, sizeof job, ZMQ_DONTWAIT) == (int)sizeof job) {
        pl_notify_job_destroy(&job);
    }
    zmq_close(n->sock);
    curl_multi_cleanup(n->multi);
    free(n);
    *notifier_p = NULL;
}
