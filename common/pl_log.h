/*
 * pl_log: one line per event on stderr: "2026-11-28T12:00:00.123Z INFO  broker: message".
 * The macro tests the level before evaluating any argument.
 * Never log complaint bodies, names, phone numbers, addresses or credentials
 * above DEBUG; use pl_log_mask_phone() when a phone must be identified.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stddef.h>

typedef enum { PL_LOG_ERROR = 0, PL_LOG_WARN, PL_LOG_INFO, PL_LOG_DEBUG } pl_log_level_t;

extern pl_log_level_t pl_log_threshold;

void pl_log_write(pl_log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pl_log_parse_level: "error", "warn", "info", "debug" -> level; -1 if unknown. */
int pl_log_parse_level(const char *name);

/* pl_log_mask_phone: "13812345678" -> "138****5678" into buf; returns buf. */
char *pl_log_mask_phone(const char *phone, char *buf, size_t size);

#define pl_log(level, module, ...)                                                                 \
    do {                                                                                           \
        if ((level) <= pl_log_threshold) {                                                         \
            pl_log_write((level), (module), __VA_ARGS__);                                          \
        }                                                                                          \
    } while (0)

#endif
