/*
 * rules_people.c: read access to the snapshot's directory (config/people.h).
 * The snapshot keeps no index of directory ids (the loader's map is gone
 * after the load), so lookups scan the lists; the lists are bounded by
 * PL_RULES_MAX_ENTRIES and a notification names few ids.
 */
#include "config/people.h"
#include "config/rules_internal.h"

#include <string.h>

/* A person whose id failed to load never reaches a snapshot (the load
 * fails), but the NULL checks keep a partial entry from crashing a lookup. */
static bool s_id_is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

size_t pl_rules_people_count(const pl_rules_t *rules)
{
    return rules ? rules->people_count : 0;
}

int pl_rules_person_at(const pl_rules_t *rules, size_t i, pl_person_info_t *out)
{
    if (!rules || !out) {
        return PL_EINVAL;
    }
    memset(out, 0, sizeof *out);
    if (i >= rules->people_count) {
        return PL_ENOENT;
    }
    const pl__person_t *p = &rules->people[i];
    out->id = p->id;
    out->name = p->name ? p->name : p->id;
    out->department = p->department;
    out->region = p->region;
    out->phone = p->phone;
    out->email = p->email;
    out->wecom = p->wecom;
    out->dingtalk = p->dingtalk;
    return 0;
}

long pl_rules_person_find(const pl_rules_t *rules, const char *id)
{
    if (!rules || !id) {
        return -1;
    }
    for (size_t i = 0; i < rules->people_count; i++) {
        if (s_id_is(rules->people[i].id, id)) {
            return (long)i;
        }
    }
    return -1;
}

bool pl_rules_person_has_role(const pl_rules_t *rules, size_t i, const char *role)
{
    if (!rules || !role || i >= rules->people_count) {
        return false;
    }
    /* A person holds few roles: compare their ids rather than look the
     * role up among all roles first. */
    const pl__person_t *p = &rules->people[i];
    for (size_t r = 0; r < p->roles_count; r++) {
        uint32_t index = p->roles[r];
        if (index < rules->roles_count && s_id_is(rules->roles[index].id, role)) {
            return true;
        }
    }
    return false;
}

pl_directory_kind_t pl_rules_directory_kind(const pl_rules_t *rules, const char *id)
{
    if (!rules || !id) {
        return PL_DIRECTORY_NONE;
    }
    if (pl_rules_person_find(rules, id) >= 0) {
        return PL_DIRECTORY_PERSON;
    }
    for (size_t i = 0; i < rules->roles_count; i++) {
        if (s_id_is(rules->roles[i].id, id)) {
            return PL_DIRECTORY_ROLE;
        }
    }
    for (size_t i = 0; i < rules->depts_count; i++) {
        if (s_id_is(rules->depts[i].id, id)) {
            return PL_DIRECTORY_DEPARTMENT;
        }
    }
    return PL_DIRECTORY_NONE;
}

json_t *pl_rules_person_roles(const pl_rules_t *rules, size_t i)
{
    json_t *out = json_array();
    if (!out || !rules || i >= rules->people_count) {
        return out;
    }
    const pl__person_t *p = &rules->people[i];
    for (size_t r = 0; r < p->roles_count; r++) {
        uint32_t index = p->roles[r];
        if (index < rules->roles_count &&
            json_array_append_new(out, json_string(rules->roles[index].id)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
