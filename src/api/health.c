/* health: GET /healthz, for load balancers and scripts waiting for a start. No key. */
#include "api/api.h"

void api_health(http_request *req)
{
    http_reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}
