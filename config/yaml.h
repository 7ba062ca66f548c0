/*
 * pl_yaml: a small, read-only YAML document tree for the config and rules
 * loaders.
 *
 * The tree is built from libyaml's event parser so that every node keeps the
 * position where it starts (1-based line and column; libyaml counts from 0),
 * and errors can read "plaint.yaml:12:5: unknown key "x" in listen".
 *
 * Node kinds are scalar (a string plus whether it was written plain, i.e.
 * unquoted and untagged, so "5" and 5 can be told apart), sequence, and
 * mapping (ordered key/value pairs whose keys are scalars; duplicate keys are
 * an error).
 *
 * Hostile input is harmless: anchors and aliases are refused (no "billion
 * laughs"), as are more than one document, tags outside the YAML core schema
 * (!!str, !!int, !!float, !!bool, !!null, !!seq, !!map and the non-specific
 * "!"), nesting deeper than PL_YAML_MAX_DEPTH, more than PL_YAML_MAX_NODES
 * nodes and input larger than PL_YAML_MAX_BYTES. Loading stops at the first
 * error.
 *
 * A document is immutable once loaded and may be read from several threads.
 * Nodes are owned by their document and valid until pl_yaml_doc_destroy().
 */
#ifndef PL_YAML_H
#define PL_YAML_H

#include "common/pl_err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_YAML_MAX_DEPTH 64            /* nested sequences/mappings, the root counts as 1 */
#define PL_YAML_MAX_NODES 100000        /* scalars, sequences and mappings in one document */
#define PL_YAML_MAX_BYTES (1024 * 1024) /* input size */

typedef struct pl_yaml_doc pl_yaml_doc_t;
typedef struct pl_yaml_node pl_yaml_node_t;

typedef enum {
    PL_YAML_SCALAR = 1,
    PL_YAML_SEQUENCE = 2,
    PL_YAML_MAPPING = 3,
} pl_yaml_kind_t;

/*
 * pl_yaml_read_file: reads the whole file at `path` (borrowed) into a new
 * NUL-terminated buffer; *buf_p receives it (caller frees with free()) and
 * *size_p its length without the terminator. Refuses files larger than
 * PL_YAML_MAX_BYTES. Works on pipes and /dev/stdin as well as regular files.
 * Returns 0, PL_EIO (cannot open or read; the message carries strerror),
 * PL_EINVAL (too large) or PL_ENOMEM, filling `err` (may be NULL) with `path`
 * as the file name.
 */
int pl_yaml_read_file(const char *path, char **buf_p, size_t *size_p, pl_err_t *err);

/*
 * pl_yaml_load_file: reads `path` (borrowed) and parses it as one YAML
 * document; the document's name is `path`. Returns a new document, caller
 * destroys, or NULL with `err` (may be NULL) filled: PL_EIO, PL_ENOMEM, or
 * PL_ECONFIG for a syntax error or a refused construct, with the position
 * "path:line:column".
 */
pl_yaml_doc_t *pl_yaml_load_file(const char *path, pl_err_t *err);

/*
 * pl_yaml_load_buffer: parses `len` bytes at `buf` (borrowed; need not be
 * NUL-terminated) as one YAML document. `name` (borrowed, may be NULL for
 * "<buffer>") is copied and used as the file name in errors. Returns a new
 * document, caller destroys, or NULL with `err` (may be NULL) filled:
 * PL_ENOMEM, PL_EINVAL (more than PL_YAML_MAX_BYTES) or PL_ECONFIG.
 */
pl_yaml_doc_t *pl_yaml_load_buffer(const char *buf, size_t len, const char *name, pl_err_t *err);

/* pl_yaml_doc_destroy: frees the document and all its nodes; accepts NULL and
 * a pointer to NULL; sets *self_p to NULL. */
void pl_yaml_doc_destroy(pl_yaml_doc_t **self_p);

/* pl_yaml_doc_root: the root node (borrowed), or NULL for an empty stream
 * (an empty file or one holding only comments). A lone "---" gives a null
 * scalar root. */
const pl_yaml_node_t *pl_yaml_doc_root(const pl_yaml_doc_t *doc);

/* pl_yaml_doc_name: the name given at load (the path for files); never NULL;
 * valid as long as the document. */
const char *pl_yaml_doc_name(const pl_yaml_doc_t *doc);

/* pl_yaml_doc_node_count: how many nodes the document holds. */
size_t pl_yaml_doc_node_count(const pl_yaml_doc_t *doc);

/* pl_yaml_node_kind: PL_YAML_SCALAR, PL_YAML_SEQUENCE or PL_YAML_MAPPING. */
pl_yaml_kind_t pl_yaml_node_kind(const pl_yaml_node_t *node);

/* pl_yaml_node_line, pl_yaml_node_column: 1-based start position; column
 * counts characters, not bytes. */
int pl_yaml_node_line(const pl_yaml_node_t *node);
int pl_yaml_node_column(const pl_yaml_node_t *node);

/*
 * pl_yaml_node_scalar: the value of a scalar node, NUL-terminated (YAML
 * escapes such as "\0" may put NUL bytes inside it: compare
 * pl_yaml_node_scalar_size() with strlen() to refuse them). NULL if the node
 * is not a scalar. Valid as long as the document.
 */
const char *pl_yaml_node_scalar(const pl_yaml_node_t *node);

/* pl_yaml_node_scalar_size: length in bytes of a scalar's value; 0 for other
 * kinds. */
size_t pl_yaml_node_scalar_size(const pl_yaml_node_t *node);

/* pl_yaml_node_is_plain: true for a scalar written without quotes and
 * without the !!str or "!" tag, i.e. one whose type YAML resolves from its
 * text (null, true, 12). */
bool pl_yaml_node_is_plain(const pl_yaml_node_t *node);

/* pl_yaml_node_is_null: true for a plain scalar that is empty, "~", "null",
 * "Null" or "NULL", and for one tagged !!null ("key:" with no value). */
bool pl_yaml_node_is_null(const pl_yaml_node_t *node);

/* pl_yaml_node_count: items of a sequence, pairs of a mapping, 0 for a
 * scalar. */
size_t pl_yaml_node_count(const pl_yaml_node_t *node);

/* pl_yaml_node_item: item `i` of a sequence (borrowed); NULL if the node is
 * not a sequence or `i` is out of range. */
const pl_yaml_node_t *pl_yaml_node_item(const pl_yaml_node_t *node, size_t i);

/* pl_yaml_node_key, pl_yaml_node_value: key (always a scalar) and value of
 * pair `i` of a mapping, in document order (borrowed); NULL if the node is not
 * a mapping or `i` is out of range. */
const pl_yaml_node_t *pl_yaml_node_key(const pl_yaml_node_t *node, size_t i);
const pl_yaml_node_t *pl_yaml_node_value(const pl_yaml_node_t *node, size_t i);

/* pl_yaml_node_get: the value for `key` (borrowed, NUL-terminated) in a
 * mapping (borrowed), or NULL if absent or the node is not a mapping. Linear
 * in the number of pairs. */
const pl_yaml_node_t *pl_yaml_node_get(const pl_yaml_node_t *node, const char *key);

/*
 * pl_yaml_node_to_int64: converts a plain scalar written as a decimal integer
 * (optional '-', then digits; no '+', spaces, underscores, or 0x/0o forms)
 * into *out. A value beyond the int64 range saturates to INT64_MIN/INT64_MAX,
 * so a range check rejects it. Returns 0, or PL_EINVAL (and leaves *out
 * alone) if the node is not such a scalar.
 */
int pl_yaml_node_to_int64(const pl_yaml_node_t *node, int64_t *out);

/* pl_yaml_node_to_bool: converts a plain scalar true/True/TRUE/false/False/
 * FALSE (YAML 1.2 core schema) into *out. Returns 0 or PL_EINVAL. */
int pl_yaml_node_to_bool(const pl_yaml_node_t *node, bool *out);

/*
 * pl_yaml_node_describe: writes a short description of the node for error
 * messages into buf and returns buf: "a mapping", "a sequence", "null", or
 * the scalar's value in double quotes, cut to 40 bytes with "..." and with
 * control characters shown as '?'.
 */
char *pl_yaml_node_describe(const pl_yaml_node_t *node, char *buf, size_t size);

/*
 * pl_yaml_err_at: fills `err` (may be NULL) with `code` and a printf-formatted
 * message located at `node` (may be NULL: file name only) in `doc`. Returns
 * `code`, so callers can write `return pl_yaml_err_at(...)`.
 */
int pl_yaml_err_at(pl_err_t *err, const pl_yaml_doc_t *doc, const pl_yaml_node_t *node, int code,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* pl_yaml_err_vat: pl_yaml_err_at with a va_list, for a loader's own
 * printf-like error helper. Leaves `ap` indeterminate. Returns `code`. */
int pl_yaml_err_vat(pl_err_t *err, const pl_yaml_doc_t *doc, const pl_yaml_node_t *node, int code,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

#endif
