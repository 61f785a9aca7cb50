/* router: see router.h. */
#include "http/router.h"

#include <string.h>

/* Match path against pattern segment by segment; a single trailing '/' is ignored. */
static bool match_path(const char *pattern, const char *path, route_match *m)
{
    unsigned n = 0;
    const char *p = pattern, *s = path;
    for (;;) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        const char *se = strchr(s, '/');
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen == 2 && p[0] == '{' && p[1] == '}') {
            if (slen == 0 || n == HTTP_MAX_PARAMS)
                return false;
            m->param[n] = s;
            m->param_len[n] = slen;
            n++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p += plen;
        s += slen;
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
        memset(&tmp, 0, sizeof tmp);
        if (!match_path(routes[i].pattern, path, &tmp))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            *m = tmp;
            m->route = &routes[i];
            return;
        }
        m->path_known = true;
    }
}
