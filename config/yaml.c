#include "config/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct pl_yaml_node {
    pl_yaml_kind_t kind;
    bool plain;
    bool null;
    int line;
    int column;
    char *value; /* scalar: NUL-terminated copy */
    size_t value_size;
    pl_yaml_node_t **items; /* sequence: items; mapping: key, value, key, value, ... */
    size_t items_count;
    size_t items_cap;
    pl_yaml_node_t *alloc_next; /* every node of the document, for destroy */
};

struct pl_yaml_doc {
    char *name;
    pl_yaml_node_t *root;
    pl_yaml_node_t *nodes;
    size_t node_count;
};

typedef struct {
    pl_yaml_doc_t *doc;
    const char *buf;
    size_t len;
    pl_err_t *err;
    pl_yaml_node_t *stack[PL_YAML_MAX_DEPTH];
    size_t depth;
    bool seen_document;
} s_builder_t;

#define S_TAG_PREFIX "tag:yaml.org,2002:"

static int s_error_at_mark(s_builder_t *b, yaml_mark_t mark, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int s_error_at_mark(s_builder_t *b, yaml_mark_t mark, int code, const char *fmt, ...)
{
    char msg[sizeof b->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pl_err_set_at(b->err, code, b->doc->name, (int)mark.line + 1, (int)mark.column + 1, "%s",
                         msg);
}

/* libyaml reports reader errors (bad UTF-8, control characters) as a byte
 * offset only; turn it into a line and a character column. */
static void s_offset_position(const char *buf, size_t len, size_t offset, int *line, int *column)
{
    int l = 1;
    int c = 1;
    if (offset > len) {
        offset = len;
    }
    for (size_t i = 0; i < offset; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n' || (ch == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
            l++;
            c = 1;
        } else if (ch != '\r' && (ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

static int s_parser_error(s_builder_t *b, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "unknown error";
    if (parser->error == YAML_MEMORY_ERROR) {
        return pl_err_set_at(b->err, PL_ENOMEM, b->doc->name, 0, 0, "out of memory parsing YAML");
    }
    if (parser->error == YAML_READER_ERROR) {
        int line;
        int column;
        s_offset_position(b->buf, b->len, parser->problem_offset, &line, &column);
        if (parser->problem_value != -1) {
            return pl_err_set_at(b->err, PL_ECONFIG, b->doc->name, line, column,
                                 "invalid input: %s (byte 0x%02X)", problem,
                                 (unsigned)parser->problem_value & 0xFFu);
        }
        return pl_err_set_at(b->err, PL_ECONFIG, b->doc->name, line, column, "invalid input: %s",
                             problem);
    }
    if (parser->context) {
        return s_error_at_mark(b, parser->problem_mark, PL_ECONFIG,
                               "invalid YAML: %s (%s started at line %d, column %d)", problem,
                               parser->context, (int)parser->context_mark.line + 1,
                               (int)parser->context_mark.column + 1);
    }
    return s_error_at_mark(b, parser->problem_mark, PL_ECONFIG, "invalid YAML: %s", problem);
}

/* Only the core schema's tags and the non-specific "!" are allowed; a tag is
 * how YAML asks an application to build arbitrary objects, and we have none. */
static bool s_tag_allowed(const char *tag, pl_yaml_kind_t kind)
{
    static const char *const scalar_tags[] = {"str", "int", "float", "bool", "null"};
    if (!tag || strcmp(tag, "!") == 0) {
        return true;
    }
    if (strncmp(tag, S_TAG_PREFIX, strlen(S_TAG_PREFIX)) != 0) {
        return false;
    }
    const char *name = tag + strlen(S_TAG_PREFIX);
    switch (kind) {
    case PL_YAML_SEQUENCE:
        return strcmp(name, "seq") == 0;
    case PL_YAML_MAPPING:
        return strcmp(name, "map") == 0;
    case PL_YAML_SCALAR:
        for (size_t i = 0; i < sizeof scalar_tags / sizeof scalar_tags[0]; i++) {
            if (strcmp(name, scalar_tags[i]) == 0) {
                return true;
            }
        }
        return false;
    }
    return false;
}

static int s_check_node_event(s_builder_t *b, const yaml_event_t *ev, const yaml_char_t *anchor,
                              const yaml_char_t *tag, pl_yaml_kind_t kind)
{
    if (anchor) {
        return s_error_at_mark(b, ev->start_mark, PL_ECONFIG,
                               "anchors and aliases are not supported");
    }
    if (!s_tag_allowed((const char *)tag, kind)) {
        return s_error_at_mark(b, ev->start_mark, PL_ECONFIG, "tag \"%.64s\" is not supported",
                               (const char *)tag);
    }
    if (b->doc->node_count >= PL_YAML_MAX_NODES) {
        return s_error_at_mark(b, ev->start_mark, PL_ECONFIG, "document has more than %d nodes",
                               PL_YAML_MAX_NODES);
    }
    return 0;
}

static pl_yaml_node_t *s_node_new(s_builder_t *b, pl_yaml_kind_t kind, yaml_mark_t mark)
{
    pl_yaml_node_t *node = calloc(1, sizeof *node);
    if (!node) {
        return NULL;
    }
    node->kind = kind;
    node->line = (int)mark.line + 1;
    node->column = (int)mark.column + 1;
    node->alloc_next = b->doc->nodes;
    b->doc->nodes = node;
    b->doc->node_count++;
    return node;
}

static int s_push_item(pl_yaml_node_t *parent, pl_yaml_node_t *child)
{
    if (parent->items_count == parent->items_cap) {
        size_t cap = parent->items_cap ? parent->items_cap * 2 : 4;
        pl_yaml_node_t **items = realloc(parent->items, cap * sizeof *items);
        if (!items) {
            return PL_ENOMEM;
        }
        parent->items = items;
        parent->items_cap = cap;
    }
    parent->items[parent->items_count++] = child;
    return 0;
}

/* Hangs a new node under the innermost open collection, or makes it the root. */
static int s_attach(s_builder_t *b, pl_yaml_node_t *node)
{
    if (b->depth == 0) {
        b->doc->root = node;
        return 0;
    }
    pl_yaml_node_t *parent = b->stack[b->depth - 1];
    if (parent->kind == PL_YAML_MAPPING && parent->items_count % 2 == 0 &&
        node->kind != PL_YAML_SCALAR) {
        return pl_err_set_at(b->err, PL_ECONFIG, b->doc->name, node->line, node->column,
                             "mapping keys must be scalars, not a %s",
                             node->kind == PL_YAML_MAPPING ? "mapping" : "sequence");
    }
    if (s_push_item(parent, node) != 0) {
        return pl_err_set_at(b->err, PL_ENOMEM, b->doc->name, 0, 0, "out of memory parsing YAML");
    }
    return 0;
}

static int s_key_compare(const pl_yaml_node_t *a, const pl_yaml_node_t *b)
{
    size_t n = a->value_size < b->value_size ? a->value_size : b->value_size;
    int c = memcmp(a->value, b->value, n);
    if (c != 0) {
        return c;
    }
    return (a->value_size > b->value_size) - (a->value_size < b->value_size);
}

/* qsort is not stable, so ties are broken by position to find the first
 * definition of a key. */
static int s_key_index_compare(const void *pa, const void *pb)
{
    pl_yaml_node_t *const *a = *(pl_yaml_node_t *const *const *)pa;
    pl_yaml_node_t *const *b = *(pl_yaml_node_t *const *const *)pb;
    int c = s_key_compare(*a, *b);
    if (c != 0) {
        return c;
    }
    return (a > b) - (a < b);
}

/* Sorting keeps a hostile mapping with 100 000 keys at n log n. Reports the
 * duplicate that comes first in the document. */
static int s_check_duplicates(s_builder_t *b, const pl_yaml_node_t *map)
{
    size_t pairs = map->items_count / 2;
    if (pairs < 2) {
        return 0;
    }
    pl_yaml_node_t *const **keys = malloc(pairs * sizeof *keys);
    if (!keys) {
        return pl_err_set_at(b->err, PL_ENOMEM, b->doc->name, 0, 0, "out of memory parsing YAML");
    }
    for (size_t i = 0; i < pairs; i++) {
        keys[i] = &map->items[2 * i];
    }
    qsort(keys, pairs, sizeof *keys, s_key_index_compare);
    pl_yaml_node_t *const *dup = NULL;
    pl_yaml_node_t *const *first = NULL;
    for (size_t i = 1; i < pairs; i++) {
        if (s_key_compare(*keys[i - 1], *keys[i]) == 0 && (!dup || keys[i] < dup)) {
            dup = keys[i];
            size_t j = i - 1;
            while (j > 0 && s_key_compare(*keys[j - 1], *keys[i]) == 0) {
                j--;
            }
            first = keys[j];
        }
    }
    int rc = 0;
    if (dup) {
        char desc[64];
        rc = pl_err_set_at(b->err, PL_ECONFIG, b->doc->name, (*dup)->line, (*dup)->column,
                           "duplicate key %s (first defined at line %d, column %d)",
                           pl_yaml_node_describe(*dup, desc, sizeof desc), (*first)->line,
                           (*first)->column);
    }
    free(keys);
    return rc;
}

static int s_scalar(s_builder_t *b, const yaml_event_t *ev)
{
    int rc = s_check_node_event(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag, PL_YAML_SCALAR);
    if (rc) {
        return rc;
    }
    pl_yaml_node_t *node = s_node_new(b, PL_YAML_SCALAR, ev->start_mark);
    if (!node || !(node->value = malloc(ev->data.scalar.length + 1))) {
        return pl_err_set_at(b->err, PL_ENOMEM, b->doc->name, 0, 0, "out of memory parsing YAML");
    }
    memcpy(node->value, ev->data.scalar.value, ev->data.scalar.length);
    node->value[ev->data.scalar.length] = '\0';
    node->value_size = ev->data.scalar.length;

    const char *tag = (const char *)ev->data.scalar.tag;
    bool tagged_str = tag && (strcmp(tag, "!") == 0 || strcmp(tag, S_TAG_PREFIX "str") == 0);
    node->plain = !tagged_str && (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE || tag);
    if (tag && strcmp(tag, S_TAG_PREFIX "null") == 0) {
        node->null = true;
    } else if (node->plain && !tag) {
        const char *v = node->value;
        node->null = v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
                     strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
    }
    return s_attach(b, node);
}

static int s_collection_start(s_builder_t *b, const yaml_event_t *ev, pl_yaml_kind_t kind)
{
    const yaml_char_t *anchor =
        kind == PL_YAML_MAPPING ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag =
        kind == PL_YAML_MAPPING ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    int rc = s_check_node_event(b, ev, anchor, tag, kind);
    if (rc) {
        return rc;
    }
    if (b->depth >= PL_YAML_MAX_DEPTH) {
        return s_error_at_mark(b, ev->start_mark, PL_ECONFIG, "nesting is deeper than %d levels",
                               PL_YAML_MAX_DEPTH);
    }
    pl_yaml_node_t *node = s_node_new(b, kind, ev->start_mark);
    if (!node) {
        return pl_err_set_at(b->err, PL_ENOMEM, b->doc->name, 0, 0, "out of memory parsing YAML");
    }
    rc = s_attach(b, node);
    if (rc) {
        return rc;
    }
    b->stack[b->depth++] = node;
    return 0;
}

static int s_collection_end(s_builder_t *b)
{
    /* libyaml guarantees balanced start/end events. */
    pl_yaml_node_t *node = b->stack[--b->depth];
    if (node->kind == PL_YAML_MAPPING) {
        return s_check_duplicates(b, node);
    }
    return 0;
}

static int s_event(s_builder_t *b, const yaml_event_t *ev, bool *done)
{
    switch (ev->type) {
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_DOCUMENT_END_EVENT:
        return 0;
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (b->seen_document) {
            return s_error_at_mark(b, ev->start_mark, PL_ECONFIG,
                                   "multiple documents are not supported");
        }
        b->seen_document = true;
        return 0;
    case YAML_ALIAS_EVENT:
        return s_error_at_mark(b, ev->start_mark, PL_ECONFIG,
                               "anchors and aliases are not supported");
    case YAML_SCALAR_EVENT:
        return s_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return s_collection_start(b, ev, PL_YAML_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return s_collection_start(b, ev, PL_YAML_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return s_collection_end(b);
    }
    return 0;
}

pl_yaml_doc_t *pl_yaml_load_buffer(const char *buf, size_t len, const char *name, pl_err_t *err)
{
    const char *doc_name = name ? name : "<buffer>";
    if (len > PL_YAML_MAX_BYTES) {
        pl_err_set_at(err, PL_EINVAL, doc_name, 0, 0, "input is larger than %d bytes",
                      PL_YAML_MAX_BYTES);
        return NULL;
    }
    pl_yaml_doc_t *doc = calloc(1, sizeof *doc);
    if (!doc || !(doc->name = strdup(doc_name))) {
        free(doc);
        pl_err_set_at(err, PL_ENOMEM, doc_name, 0, 0, "out of memory parsing YAML");
        return NULL;
    }
    s_builder_t b = {.doc = doc, .buf = buf, .len = len, .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        pl_err_set_at(err, PL_ENOMEM, doc_name, 0, 0, "out of memory parsing YAML");
        pl_yaml_doc_destroy(&doc);
        return NULL;
    }
    /* Config files are UTF-8: fix the encoding so that bytes FF FE cannot
     * switch libyaml to UTF-16. A fixed encoding makes libyaml count a UTF-8
     * byte order mark as a column, so skip it here. */
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        b.buf += 3;
        b.len -= 3;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)(b.buf ? b.buf : ""), b.len);

    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = s_parser_error(&b, &parser);
            break;
        }
        rc = s_event(&b, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc != 0) {
        pl_yaml_doc_destroy(&doc);
    }
    return doc;
}

int pl_yaml_read_file(const char *path, char **buf_p, size_t *size_p, pl_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return pl_err_set_at(err, PL_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    }
    size_t cap = 4096;
    size_t len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    if (!buf) {
        rc = pl_err_set_at(err, PL_ENOMEM, path, 0, 0, "out of memory reading file");
        goto cleanup;
    }
    for (;;) {
        if (len + 1 == cap) {
            if (cap > PL_YAML_MAX_BYTES) {
                rc = pl_err_set_at(err, PL_EINVAL, path, 0, 0, "file is larger than %d bytes",
                                   PL_YAML_MAX_BYTES);
                goto cleanup;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                rc = pl_err_set_at(err, PL_ENOMEM, path, 0, 0, "out of memory reading file");
                goto cleanup;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) {
                rc = pl_err_set_at(err, PL_EIO, path, 0, 0, "cannot read: %s", strerror(errno));
                goto cleanup;
            }
            break;
        }
    }
    if (len > PL_YAML_MAX_BYTES) {
        rc = pl_err_set_at(err, PL_EINVAL, path, 0, 0, "file is larger than %d bytes",
                           PL_YAML_MAX_BYTES);
        goto cleanup;
    }
    buf[len] = '\0';
    *buf_p = buf;
    *size_p = len;
    buf = NULL;
cleanup:
    free(buf);
    fclose(f);
    return rc;
}

pl_yaml_doc_t *pl_yaml_load_file(const char *path, pl_err_t *err)
{
    char *buf = NULL;
    size_t len = 0;
    if (pl_yaml_read_file(path, &buf, &len, err) != 0) {
        return NULL;
    }
    pl_yaml_doc_t *doc = pl_yaml_load_buffer(buf, len, path, err);
    free(buf);
    return doc;
}

void pl_yaml_doc_destroy(pl_yaml_doc_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    pl_yaml_doc_t *doc = *self_p;
    pl_yaml_node_t *node = doc->nodes;
    while (node) {
        pl_yaml_node_t *next = node->alloc_next;
        free(node->value);
        free(node->items);
        free(node);
        node = next;
    }
    free(doc->name);
    free(doc);
    *self_p = NULL;
}

const pl_yaml_node_t *pl_yaml_doc_root(const pl_yaml_doc_t *doc)
{
    return doc->root;
}

const char *pl_yaml_doc_name(const pl_yaml_doc_t *doc)
{
    return doc->name;
}

size_t pl_yaml_doc_node_count(const pl_yaml_doc_t *doc)
{
    return doc->node_count;
}

pl_yaml_kind_t pl_yaml_node_kind(const pl_yaml_node_t *node)
{
    return node->kind;
}

int pl_yaml_node_line(const pl_yaml_node_t *node)
{
    return node->line;
}

int pl_yaml_node_column(const pl_yaml_node_t *node)
{
    return node->column;
}

const char *pl_yaml_node_scalar(const pl_yaml_node_t *node)
{
    return node->kind == PL_YAML_SCALAR ? node->value : NULL;
}

size_t pl_yaml_node_scalar_size(const pl_yaml_node_t *node)
{
    return node->kind == PL_YAML_SCALAR ? node->value_size : 0;
}

bool pl_yaml_node_is_plain(const pl_yaml_node_t *node)
{
    return node->kind == PL_YAML_SCALAR && node->plain;
}

bool pl_yaml_node_is_null(const pl_yaml_node_t *node)
{
    return node->kind == PL_YAML_SCALAR && node->null;
}

size_t pl_yaml_node_count(const pl_yaml_node_t *node)
{
    switch (node->kind) {
    case PL_YAML_SEQUENCE:
        return node->items_count;
    case PL_YAML_MAPPING:
        return node->items_count / 2;
    case PL_YAML_SCALAR:
        return 0;
    }
    return 0;
}

const pl_yaml_node_t *pl_yaml_node_item(const pl_yaml_node_t *node, size_t i)
{
    if (node->kind != PL_YAML_SEQUENCE || i >= node->items_count) {
        return NULL;
    }
    return node->items[i];
}

const pl_yaml_node_t *pl_yaml_node_key(const pl_yaml_node_t *node, size_t i)
{
    if (node->kind != PL_YAML_MAPPING || i >= node->items_count / 2) {
        return NULL;
    }
    return node->items[2 * i];
}

const pl_yaml_node_t *pl_yaml_node_value(const pl_yaml_node_t *node, size_t i)
{
    if (node->kind != PL_YAML_MAPPING || i >= node->items_count / 2) {
        return NULL;
    }
    return node->items[2 * i + 1];
}

const pl_yaml_node_t *pl_yaml_node_get(const pl_yaml_node_t *node, const char *key)
{
    if (node->kind != PL_YAML_MAPPING) {
        return NULL;
    }
    size_t key_size = strlen(key);
    for (size_t i = 0; i + 1 < node->items_count; i += 2) {
        const pl_yaml_node_t *k = node->items[i];
        if (k->value_size == key_size && memcmp(k->value, key, key_size) == 0) {
            return node->items[i + 1];
        }
    }
    return NULL;
}

int pl_yaml_node_to_int64(const pl_yaml_node_t *node, int64_t *out)
{
    if (!pl_yaml_node_is_plain(node) || node->null) {
        return PL_EINVAL;
    }
    const char *p = node->value;
    const char *end = node->value + node->value_size;
    bool negative = false;
    if (p < end && *p == '-') {
        negative = true;
        p++;
    }
    if (p == end) {
        return PL_EINVAL;
    }
    /* Accumulate negatively so INT64_MIN is representable. */
    int64_t value = 0;
    bool overflow = false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return PL_EINVAL;
        }
        int digit = *p - '0';
        if (value < (INT64_MIN + digit) / 10) {
            overflow = true;
        } else {
            value = value * 10 - digit;
        }
    }
    if (overflow) {
        *out = negative ? INT64_MIN : INT64_MAX;
    } else if (negative) {
        *out = value;
    } else {
        *out = value == INT64_MIN ? INT64_MAX : -value;
    }
    return 0;
}

int pl_yaml_node_to_bool(const pl_yaml_node_t *node, bool *out)
{
    if (!pl_yaml_node_is_plain(node)) {
        return PL_EINVAL;
    }
    const char *v = node->value;
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0 || strcmp(v, "TRUE") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || strcmp(v, "FALSE") == 0) {
        *out = false;
        return 0;
    }
    return PL_EINVAL;
}

char *pl_yaml_node_describe(const pl_yaml_node_t *node, char *buf, size_t size)
{
    if (size == 0) {
        return buf;
    }
    if (node->kind == PL_YAML_MAPPING) {
        snprintf(buf, size, "a mapping");
        return buf;
    }
    if (node->kind == PL_YAML_SEQUENCE) {
        snprintf(buf, size, "a sequence");
        return buf;
    }
    if (node->null) {
        snprintf(buf, size, "null");
        return buf;
    }
    enum { MAX_SHOWN = 40 };
    char text[MAX_SHOWN + 4];
    size_t n = node->value_size;
    bool cut = n > MAX_SHOWN;
    if (cut) {
        n = MAX_SHOWN;
        /* Do not cut a UTF-8 sequence in half. */
        while (n > 0 && ((unsigned char)node->value[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)node->value[i];
        text[i] = (ch < 0x20 || ch == 0x7F) ? '?' : (char)ch;
    }
    text[n] = '\0';
    snprintf(buf, size, "\"%s%s\"", text, cut ? "..." : "");
    return buf;
}

int pl_yaml_err_at(pl_err_t *err, const pl_yaml_doc_t *doc, const pl_yaml_node_t *node, int code,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pl_yaml_err_vat(err, doc, node, code, fmt, ap);
    va_end(ap);
    return code;
}

int pl_yaml_err_vat(pl_err_t *err, const pl_yaml_doc_t *doc, const pl_yaml_node_t *node, int code,
                    const char *fmt, va_list ap)
{
    if (!err) {
        return code;
    }
    /* pl_err_set_at takes only a variadic format: render the message first. */
    char msg[sizeof err->message];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return pl_err_set_at(err, code, doc ? doc->name : NULL, node ? node->line : 0,
                         node ? node->column : 0, "%s", msg);
}
