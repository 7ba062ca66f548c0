/*
 * bench_sink: a webhook sink for scripts/bench-notify.sh, on 127.0.0.1 and a
 * port the kernel chooses (tests/support/fake_http).
 *
 *   bench_sink [--hang | --status CODE] [--no-stdin]
 *
 *   (default)      answers every request 200 {"errcode":0,"errmsg":"ok"} at once
 *   --status CODE  answers every request CODE (100..599) at once
 *   --hang         a dead sink: accepts connections and reads requests, never
 *                  answers (the client's timeout ends each attempt)
 *   --no-stdin     do not watch stdin (by default its end stops the sink, so a
 *                  sink fed from a pipe or FIFO dies with whoever holds it)
 *
 * Prints the port alone on the first line of stdout (flushed) once it
 * listens, then runs until SIGTERM, SIGINT or the end of stdin, and prints
 * "requests N connections M" (requests fully received, connections accepted)
 * as its last line. Exits 0, or 1 when the server cannot start.
 */
#include "fake_http.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int s_usage(void)
{
    fprintf(stderr, "usage: bench_sink [--hang | --status CODE] [--no-stdin]\n");
    return 2;
}

int main(int argc, char **argv)
{
    bool hang = false;
    bool watch_stdin = true;
    int status = 200;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--hang") == 0) {
            hang = true;
        } else if (strcmp(argv[i], "--no-stdin") == 0) {
            watch_stdin = false;
        } else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
            char *end;
            long code = strtol(argv[++i], &end, 10);
            if (*end != '\0' || code < 100 || code > 599) {
                return s_usage();
            }
            status = (int)code;
        } else {
            return s_usage();
        }
    }

    /* Blocked before the server thread starts, so that it inherits the mask
     * and the signals are read here only, from the signalfd. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
        perror("bench_sink: sigprocmask");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sfd < 0) {
        perror("bench_sink: signalfd");
        return 1;
    }

    fake_http_t *http = fake_http_start();
    if (!http) {
        close(sfd);
        return 1;
    }
    if (hang) {
        fake_http_hang(http, 1);
    } else if (status != 200 && fake_http_default(http, status, "{\"errcode\":0}") != 0) {
        fprintf(stderr, "bench_sink: out of memory\n");
        fake_http_stop(&http);
        close(sfd);
        return 1;
    }
    printf("%d\n", fake_http_port(http));
    fflush(stdout);

    struct pollfd fds[2] = {
        {.fd = sfd, .events = POLLIN},
        {.fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN},
    };
    for (;;) {
        int n = poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("bench_sink: poll");
            break;
        }
        if (fds[0].revents) {
            break; /* a signal */
        }
        if (fds[1].revents) {
            char buf[512];
            ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                break; /* stdin ended: whoever fed it is gone */
            }
        }
    }

    size_t requests = fake_http_count(http);
    size_t connections = fake_http_connections(http);
    fake_http_stop(&http);
    close(sfd);
    printf("requests %zu connections %zu\n", requests, connections);
    fflush(stdout);
    return 0;
}
