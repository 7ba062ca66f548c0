/*
 * categories: read access to the categories of a rules snapshot (the
 * `categories` section; config/README.md), for loaders of other sections
 * that name a category (`approvals`, config/lifecycle.h) and must check
 * that it exists.
 *
 * Everything here is a pure function of the snapshot: any number of threads
 * may call it at once. Strings are borrowed from the snapshot and valid as
 * long as it is.
 */
#ifndef PL_CATEGORIES_H
#define PL_CATEGORIES_H

#include "config/rules.h"

#include <stddef.h>

/* pl_rules_category_count: the number of categories, in file order; 0 for
 * NULL and for a snapshot without categories. */
size_t pl_rules_category_count(const pl_rules_t *rules);

/* pl_rules_category_id: the id of category `i` (0-based, file order), or
 * NULL when `i` is out of range or `rules` is NULL. */
const char *pl_rules_category_id(const pl_rules_t *rules, size_t i);

/* pl_rules_category_find: the index of the category `id`, or -1 when `id`
 * is NULL or names no category. Logarithmic in the number of categories
 * for a loaded snapshot (it keeps them sorted by id). */
long pl_rules_category_find(const pl_rules_t *rules, const char *id);

#endif
