/* Unit tests of core/paging: scan pages follow the bytes the last page took. */
#include "check.h"
#include "core/paging.h"

static void test_page_rows(void)
{
    /* the first page is the smallest */
    CHECK_INT(scan_page_rows(0, 0), SCAN_PAGE_MIN);
    /* light pages double, up to the most rows a page may hold */
    CHECK_INT(scan_page_rows(1, 500), 2);
    CHECK_INT(scan_page_rows(600, 1000), SCAN_PAGE_MAX);
    CHECK_INT(scan_page_rows(SCAN_PAGE_MAX, 1000), SCAN_PAGE_MAX);
    /* heavy pages halve, never below the least */
    CHECK_INT(scan_page_rows(64, SCAN_PAGE_BYTES + 1), 32);
    CHECK_INT(scan_page_rows(SCAN_PAGE_MIN, 100 * SCAN_PAGE_BYTES), SCAN_PAGE_MIN);
    /* in between, the size holds */
    CHECK_INT(scan_page_rows(8, SCAN_PAGE_BYTES / 2), 8);
    /* 2 MB contacts settle at one a page; 500-byte contacts at the most */
    size_t rows = scan_page_rows(0, 0);
    for (int i = 0; i < 20; i++)
        rows = scan_page_rows(rows, rows * ((size_t)2 << 20));
    CHECK_INT(rows, SCAN_PAGE_MIN);
    rows = scan_page_rows(0, 0);
    for (int i = 0; i < 20; i++)
        rows = scan_page_rows(rows, rows * 500);
    CHECK_INT(rows, SCAN_PAGE_MAX);
}

int main(void)
{
    RUN(test_page_rows);
    return check_summary("test_paging");
}
