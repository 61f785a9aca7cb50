/* router: see router.h. Every request walks the table, so matching compares the pattern
 * and the path in one pass, without measuring segments first or clearing a match per
 * route. */
#include "http/router.h"

#include <string.h>

/* Match path against pattern segment by segment; a single trailing '/' is ignored. Sets
 * m's captures and nparams only (when it returns true). */
static bool match_path(const char *p, const char *s, route_match *m)
{
    unsigned n = 0;
    for (;;) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        if (p[0] == '{' && p[1] == '}' && (p[2] == '/' || p[2] == '\0')) {
            const char *start = s;
            while (*s && *s != '/')
                s++;
            if (s == start || n == HTTP_MAX_PARAMS)
                return false;
            m->param[n] = start;
            m->param_len[n] = (size_t)(s - start);
            n++;
            p += 2;
        } else {
            while (*p && *p != '/' && *p == *s)
                p++, s++;
            /* both segments must end here */
            if ((*p && *p != '/') || (*s && *s != '/'))
                return false;
        }
        if (*p == '\0') {
            if (*s == '\0' || (s[0] == '/' && s[1] == '\0')) {
                m->nparams = n;
                return true;
            }
            return false;
        }
    }
}

void router_match(const http_route *routes, size_t nroutes, const char *method, const char *path,
                  route_match *m)
{
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < nroutes; i++) {
        route_match tmp;
        if (!match_path(routes[i].pattern, path, &tmp))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            m->route = &routes[i];
            m->path_known = false; /* a match says nothing of other methods */
            m->nparams = tmp.nparams;
            for (unsigned k = 0; k < tmp.nparams; k++) {
                m->param[k] = tmp.param[k];
                m->param_len[k] = tmp.param_len[k];
            }
            return;
        }
        m->path_known = true;
    }
}
