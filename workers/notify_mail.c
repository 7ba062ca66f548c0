/*
 * notify_mail.c: the RFC 5322 message an e-mail sink sends
 * (workers/notify_render.h, pl_notify_build): the checked and deduplicated
 * addresses, the encoded-word Subject, Date, Message-ID and the base64
 * body. Pure functions, as the rest of notify_render: no I/O, no clock, no
 * logging.
 */
#include "workers/notify_render.h"

#include "common/pl_buf.h"
#include "workers/notify_render_internal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the base64 of `size` bytes (RFC 4648, with padding, no breaks). */
static void s_add_base64(pl_buf_t *buf, const unsigned char *p, size_t size)
{
    char quad[4];
    for (size_t i = 0; i < size; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < size) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        if (i + 2 < size) {
            v |= p[i + 2];
        }
        quad[0] = s_b64[v >> 18 & 63];
        quad[1] = s_b64[v >> 12 & 63];
        quad[2] = i + 1 < size ? s_b64[v >> 6 & 63] : '=';
        quad[3] = i + 2 < size ? s_b64[v & 63] : '=';
        pl_buf_add(buf, quad, 4);
    }
}

/* An address we put in a header and hand to SMTP: the same plain
 * local@domain, printable ASCII, that config/notify_sinks.c accepts under
 * `to` and `from`; a directory's contacts.email is not checked at load, so
 * it is checked here. Nothing that could end or split an address in a
 * header (CR, LF, space, <>, quotes, commas) gets through. A bad address is
 * left out rather than repaired: a repaired address is somebody else's. */
static bool s_address_ok(const char *a)
{
    if (!a) {
        return false;
    }
    size_t size = strlen(a);
    const char *at = strchr(a, '@');
    if (size < 3 || size > 254 || !at || at == a || at == a + size - 1 || strchr(at + 1, '@')) {
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)a; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || strchr("<>()[],;:\"\\", *p)) {
            return false;
        }
    }
    return true;
}

typedef struct {
    char **items; /* NULL-terminated */
    size_t count, cap;
} s_addrs_t;

static int s_addrs_add(s_addrs_t *list, const char *addr)
{
    if (!s_address_ok(addr)) {
        return 0;
    }
    /* The domain is case-insensitive and in practice so is the mailbox:
     * the same address in two spellings is sent once. */
    for (size_t i = 0; i < list->count; i++) {
        if (strcasecmp(list->items[i], addr) == 0) {
            return 0;
        }
    }
    if (list->count + 1 >= list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        char **items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            return PL_ENOMEM;
        }
        list->items = items;
        list->cap = cap;
    }
    char *copy = strdup(addr);
    if (!copy) {
        return PL_ENOMEM;
    }
    list->items[list->count++] = copy;
    list->items[list->count] = NULL;
    return 0;
}

static void s_addrs_free(s_addrs_t *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i]);
    }
    free(list->items);
    *list = (s_addrs_t){0};
}

static uint64_t s_fnv1a64(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Message-ID: <PREFIX-HASH@plaint>: the key's printable part (for people
 * reading headers) and the FNV-1a 64 of the whole key (so keys that differ
 * only in dropped characters still differ). */
static void s_add_message_id(pl_buf_t *buf, const char *key)
{
    enum { S_PREFIX_MAX = 64 };
    char prefix[S_PREFIX_MAX + 1];
    size_t n = 0;
    for (const char *p = key; *p && n < S_PREFIX_MAX; p++) {
        char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '+' || c == '=' || c == '/';
        prefix[n++] = keep ? c : '_';
    }
    prefix[n] = '\0';
    pl_buf_printf(buf, "Message-ID: <%s%s%016" PRIx64 "@plaint>\r\n", prefix, n ? "-" : "",
                  s_fnv1a64(key));
}

/* Date: RFC 5322 section 3.3, in UTC. */
static void s_add_date(pl_buf_t *buf, pl_usec_t now)
{
    static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t secs = pl__notify_render_floor_div(now, PL_USEC_PER_SEC);
    int64_t days = pl__notify_render_floor_div(secs, 86400);
    int64_t rest = secs - days * 86400;
    int64_t year;
    int month, day;
    pl_time_civil_from_days(days, &year, &month, &day);
    int wday = (int)((days % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
    pl_buf_printf(buf, "Date: %s, %d %s %04" PRId64 " %02d:%02d:%02d +0000\r\n", wdays[wday], day,
                  months[month - 1], year, (int)(rest / 3600), (int)(rest % 3600 / 60),
                  (int)(rest % 60));
}

/* To: the addresses, folded before a line would pass 76 columns. */
static void s_add_to(pl_buf_t *buf, const s_addrs_t *list)
{
    size_t column = 4;
    pl_buf_puts(buf, "To: ");
    for (size_t i = 0; i < list->count; i++) {
        size_t size = strlen(list->items[i]);
        if (i > 0) {
            if (column + 2 + size > 76) {
                pl_buf_puts(buf, ",\r\n ");
                column = 1;
            } else {
                pl_buf_puts(buf, ", ");
                column += 2;
            }
        }
        pl_buf_add(buf, list->items[i], size);
        column += size;
    }
    pl_buf_puts(buf, "\r\n");
}

/* Subject: "[Plaint] " and the first line of the text as RFC 2047 B
 * encoded-words. Each line holding an encoded-word stays within 76
 * columns (RFC 2047 section 2), so one word carries at most 39 bytes on
 * the "Subject: " line and 45 on a continuation line, and a word never
 * ends inside a UTF-8 sequence (section 5: each word must decode on its
 * own). Control characters are dropped: base64 keeps CR/LF out of the
 * header, and a mail client would show them as boxes. */
static int s_add_subject(pl_buf_t *buf, const char *text)
{
    pl_buf_t line = {0};
    pl_buf_puts(&line, "[Plaint] ");
    for (const unsigned char *p = (const unsigned char *)text; *p && *p != '\n'; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            pl_buf_add(&line, (const char *)p, 1);
        }
    }
    if (line.failed) {
        pl_buf_free(&line);
        return PL_ENOMEM;
    }
    const unsigned char *s = (const unsigned char *)line.data;
    size_t size = line.size, pos = 0;
    pl_buf_puts(buf, "Subject:");
    bool first = true;
    while (pos < size) {
        size_t max = first ? 39 : 45;
        size_t n = size - pos < max ? size - pos : max;
        if (pos + n < size) {
            size_t back = n;
            while (back > 0 && (s[pos + back] & 0xC0) == 0x80) {
                back--;
            }
            if (back > 0) {
                n = back; /* else not UTF-8 at all: cut anywhere */
            }
        }
        pl_buf_puts(buf, first ? " =?UTF-8?B?" : "\r\n =?UTF-8?B?");
        s_add_base64(buf, s + pos, n);
        pl_buf_puts(buf, "?=");
        pos += n;
        first = false;
    }
    pl_buf_puts(buf, "\r\n");
    pl_buf_free(&line);
    return 0;
}

/* The body: the text with CRLF line ends (RFC 2045 section 6.8: text is
 * put in canonical form before it is encoded), in base64 lines of 76. */
static int s_add_body(pl_buf_t *buf, const char *text)
{
    pl_buf_t canon = {0};
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            pl_buf_add(&canon, "\r\n", 2);
            if (p[0] == '\r' && p[1] == '\n') {
                p++;
            }
        } else {
            pl_buf_add(&canon, p, 1);
        }
    }
    if (canon.failed) {
        pl_buf_free(&canon);
        return PL_ENOMEM;
    }
    for (size_t pos = 0; pos < canon.size; pos += 57) { /* 57 bytes = 76 base64 characters */
        size_t n = canon.size - pos < 57 ? canon.size - pos : 57;
        s_add_base64(buf, (const unsigned char *)canon.data + pos, n);
        pl_buf_puts(buf, "\r\n");
    }
    pl_buf_free(&canon);
    return 0;
}

int pl__notify_render_build_email(const pl_notify_sink_t *sink, const char *text,
                                  const pl_recipients_t *rcpt, const char *key, pl_usec_t now,
                                  pl_notify_message_t *out)
{
    if (!s_address_ok(sink->from)) {
        return PL_EINVAL;
    }
    s_addrs_t list = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sink->to_count; i++) {
        rc = s_addrs_add(&list, sink->to[i]);
    }
    for (size_t i = 0; rc == 0 && sink->recipients && i < rcpt->count; i++) {
        rc = s_addrs_add(&list, rcpt->items[i].email);
    }
    if (rc == 0 && list.count == 0) {
        rc = PL_ENOENT;
    }
    if (rc != 0) {
        s_addrs_free(&list);
        return rc;
    }
    pl_buf_t buf = {0};
    pl_buf_printf(&buf, "From: %s\r\n", sink->from);
    s_add_to(&buf, &list);
    rc = s_add_subject(&buf, text);
    s_add_date(&buf, now);
    s_add_message_id(&buf, key ? key : "");
    pl_buf_puts(&buf, "MIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=UTF-8\r\n"
                      "Content-Transfer-Encoding: base64\r\n"
                      "Auto-Submitted: auto-generated\r\n"
                      "\r\n");
    if (rc == 0) {
        rc = s_add_body(&buf, text);
    }
    char *body = rc == 0 ? pl_buf_take(&buf, &out->body_len) : NULL;
    pl_buf_free(&buf);
    if (!body) {
        s_addrs_free(&list);
        return PL_ENOMEM;
    }
    out->body = body;
    out->rcpt = list.items;
    out->rcpt_count = list.count;
    return 0;
}
