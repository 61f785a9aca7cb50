/*
 * router: matches a method and path against the route table. Patterns are literal
 * segments and {} captures; the first matching route wins, so a table lists literal
 * routes (/contacts/count) before the captures that would also match (/contacts/{}).
 * A path that matches some route under another method is reported as such (405).
 * Pure: captures point into the path given.
 */
#ifndef CONTACTD_HTTP_ROUTER_H
#define CONTACTD_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

typedef struct route_match {
    const http_route *route; /* NULL: no route for this method and path */
    bool path_known;         /* some route has this path under another method */
    const char *param[HTTP_MAX_PARAMS];
    size_t param_len[HTTP_MAX_PARAMS];
    unsigned nparams;
} route_match;

void router_match(const http_route *routes, size_t nroutes, const char *method, const char *path,
                  route_match *m);

#endif
