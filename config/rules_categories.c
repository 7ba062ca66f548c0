/*
 * rules_categories.c: read access to the snapshot's categories
 * (config/categories.h).
 */
#include "config/categories.h"

#include "config/rules_internal.h"

#include <string.h>

size_t pl_rules_category_count(const pl_rules_t *rules)
{
    return rules ? rules->categories_count : 0;
}

const char *pl_rules_category_id(const pl_rules_t *rules, size_t i)
{
    return rules && i < rules->categories_count ? rules->categories[i].id : NULL;
}

long pl_rules_category_find(const pl_rules_t *rules, const char *id)
{
    if (!rules || !id) {
        return -1;
    }
    /* The sorted index exists after every successful load with categories
     * (rules_load.c, s_build_shortcuts); a snapshot made otherwise is
     * scanned. */
    if (rules->category_index) {
        return pl__named_find(rules->category_index, rules->categories_count, id);
    }
    for (size_t i = 0; i < rules->categories_count; i++) {
        if (rules->categories[i].id && strcmp(rules->categories[i].id, id) == 0) {
            return (long)i;
        }
    }
    return -1;
}
