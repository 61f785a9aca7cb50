/* paging: scan pages sized by bytes (see paging.h). */
#include "core/paging.h"

size_t scan_page_rows(size_t rows, size_t bytes)
{
    if (rows < SCAN_PAGE_MIN)
        return SCAN_PAGE_MIN;
    if (bytes > SCAN_PAGE_BYTES && rows > SCAN_PAGE_MIN)
        return rows / 2;
    if (bytes < SCAN_PAGE_BYTES / 4 && rows < SCAN_PAGE_MAX)
        return rows * 2 < SCAN_PAGE_MAX ? rows * 2 : SCAN_PAGE_MAX;
    return rows;
}
