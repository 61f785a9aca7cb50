/* payload: helpers shared by the job kinds' payload encoders and decoders (kinds.h). */
#include <stdlib.h>
#include <string.h>

#include "jobs/kinds.h"

int id_list_from_json(const json_t *arr, id_list *out)
{
    memset(out, 0, sizeof *out);
    if (!json_is_array(arr))
        return -1;
    out->ids = calloc(json_array_size(arr) + 1, sizeof *out->ids);
    if (!out->ids)
        abort();
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || !(out->ids[out->count] = strdup(s))) {
            id_list_free(out);
            return -1;
        }
        out->count++;
    }
    return 0;
}

void id_list_free(id_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->ids[i]);
    free(l->ids);
    memset(l, 0, sizeof *l);
}

json_t *id_list_to_json(const char *const *ids, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(ids[i]));
    return arr;
}

char *job_payload_dump(json_t *o, size_t *len)
{
    char *payload = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (payload)
        *len = strlen(payload);
    return payload;
}
