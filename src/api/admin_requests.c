/* admin_requests: GET /_contactd/requests?limit= — this node's most recent requests,
 * newest first, from the journal (http/journal.h). */
#include "api/api.h"

#define REQUESTS_LIMIT_DEFAULT 100

void api_admin_requests(http_request *req)
{
    api_ctx *app = http_app(req);
    int64_t limit;
    if (api_admin_limit(req, REQUESTS_LIMIT_DEFAULT, 1000000, &limit) != 0)
        return;
    http_reply_json(req, 200,
                    json_pack("{s:o}", "result", journal_list(app->journal, (size_t)limit)));
}
