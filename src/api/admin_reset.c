/*
 * admin_reset: POST /_contactd/reset — every account's data goes (accounts, keys and
 * settings stay), in one transaction of the job writer, so jobs pending at that moment
 * are removed whole and jobs accepted after it run on the empty accounts.
 */
#include "api/api.h"

static int reset_all_op(store_tx *tx, void *arg)
{
    (void)arg;
    return store_tx_account_purge_all(tx);
}

void api_admin_reset(http_request *req)
{
    api_admin_write(api_admin_write_new(req, 204, NULL), reset_all_op);
}
