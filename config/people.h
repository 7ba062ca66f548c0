/*
 * people: read access to the directory of a rules snapshot (the
 * `directory` section: departments, roles and people; config/README.md),
 * for workers that must turn the ids a rule names into people and their
 * contacts (the notifier). Departments, roles and people share one id
 * namespace, so an id names at most one of them.
 *
 * Everything here is a pure function of the snapshot: any number of threads
 * may call it at once. Strings are borrowed from the snapshot and valid as
 * long as it is. Lookups by id scan the directory (at most
 * PL_RULES_MAX_ENTRIES entries per list).
 */
#ifndef PL_PEOPLE_H
#define PL_PEOPLE_H

#include "config/rules.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What a directory id names. */
typedef enum {
    PL_DIRECTORY_NONE = 0, /* nothing: an unknown id */
    PL_DIRECTORY_PERSON = 1,
    PL_DIRECTORY_ROLE = 2,
    PL_DIRECTORY_DEPARTMENT = 3,
} pl_directory_kind_t;

/* One person of the directory. `name` is the id when the file gives no
 * name; every other member is NULL when the file gives none. */
typedef struct pl_person_info {
    const char *id;
    const char *name;
    const char *department; /* department id */
    const char *region;
    const char *phone, *email, *wecom, *dingtalk; /* contacts */
} pl_person_info_t;

/* pl_rules_people_count: the number of people, in directory (file) order;
 * 0 for NULL. */
size_t pl_rules_people_count(const pl_rules_t *rules);

/*
 * pl_rules_person_at: fills *out with person `i` (0-based, directory
 * order). Returns 0, or PL_ENOENT when `i` is out of range (out is then
 * zeroed) or PL_EINVAL when an argument is NULL.
 */
int pl_rules_person_at(const pl_rules_t *rules, size_t i, pl_person_info_t *out);

/* pl_rules_person_find: the index of the person `id`, or -1 when `id` is
 * NULL or names no person. */
long pl_rules_person_find(const pl_rules_t *rules, const char *id);

/* pl_rules_person_has_role: whether person `i` holds the role `role` (an
 * id); false when `i` is out of range or `role` is NULL. */
bool pl_rules_person_has_role(const pl_rules_t *rules, size_t i, const char *role);

/* pl_rules_directory_kind: what `id` names in the directory;
 * PL_DIRECTORY_NONE for NULL or an unknown id. */
pl_directory_kind_t pl_rules_directory_kind(const pl_rules_t *rules, const char *id);

/*
 * pl_rules_person_roles: the role ids person `i` holds (borrowed from the
 * snapshot), in the order the directory lists them for the person, as a
 * new JSON array of strings (caller decrefs); an empty array for an index
 * out of range; NULL when out of memory.
 */
json_t *pl_rules_person_roles(const pl_rules_t *rules, size_t i);

#endif
