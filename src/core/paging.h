/*
 * paging: how many rows the next page of a scan should read, sized by bytes rather than
 * rows. Contacts range from a few hundred bytes to 2 MB (500 custom fields of 1,000
 * four-byte characters), so a fixed page of 1,000 rows costs between a few hundred KB and
 * 2 GB. Scans (the SGQL search, the admin state document, exports, segment evaluation)
 * start at SCAN_PAGE_MIN rows and let each page's size follow what the last one weighed:
 * halved above SCAN_PAGE_BYTES, doubled below a quarter of it, within SCAN_PAGE_MIN and
 * SCAN_PAGE_MAX. Pure; nothing is allocated.
 */
#ifndef CONTACTD_CORE_PAGING_H
#define CONTACTD_CORE_PAGING_H

#include <stddef.h>

#define SCAN_PAGE_MIN 1
#define SCAN_PAGE_MAX 1000
#define SCAN_PAGE_BYTES ((size_t)2 << 20)

/* The next page's row count after a page of rows rows that took bytes bytes (0 rows: the
 * first page, SCAN_PAGE_MIN). */
size_t scan_page_rows(size_t rows, size_t bytes);

#endif
