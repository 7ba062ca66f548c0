#include "common/pl_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

pl_log_level_t pl_log_threshold = PL_LOG_INFO;

static const char *const s_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void pl_log_write(pl_log_level_t level, const char *module, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L, s_names[level], module);
    if (n < 0 || (size_t)n >= sizeof line) {
        n = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    /* One write per line so lines from threads do not interleave. */
    fprintf(stderr, "%s\n", line);
}

int pl_log_parse_level(const char *name)
{
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, s_names[i]) == 0) {
            return i;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        return PL_LOG_WARN;
    }
    return -1;
}

char *pl_log_mask_phone(const char *phone, char *buf, size_t size)
{
    size_t len = phone ? strlen(phone) : 0;
    if (len <= 4) {
        snprintf(buf, size, "****");
    } else if (len <= 7) {
        snprintf(buf, size, "****%s", phone + len - 2);
    } else {
        snprintf(buf, size, "%.3s****%s", phone, phone + len - 4);
    }
    return buf;
}
