/*
 * fuzz_router: route matching (http/router.c) with contactd's real route table on an
 * arbitrary method and path (split at the first space). A match must capture exactly as
 * many segments as its pattern has {} and each capture must lie inside the path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *sp = strchr(buf, ' ');
    const char *method = "GET", *path = buf;
    if (sp) {
        *sp = '\0';
        method = buf;
        path = sp + 1;
    }
    route_match m;
    router_match(api_routes, api_route_count, method, path, &m);
    if (m.route) {
        unsigned expect = 0;
        for (const char *p = m.route->pattern; (p = strstr(p, "{}")); p += 2)
            expect++;
        if (m.nparams != expect)
            abort();
        for (unsigned i = 0; i < m.nparams; i++)
            if (m.param[i] < path || m.param[i] + m.param_len[i] > path + strlen(path) ||
                m.param_len[i] == 0)
                abort();
    }
    free(buf);
    return 0;
}
