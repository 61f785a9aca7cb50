/* Unit tests of core/log's batches: every line gathered comes out whole, once, in order,
 * in the format a single log_event would have written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/log.h"

/* Run fn with stderr sent to a temp file; returns what was written (caller frees). */
static char *capture(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    REQUIRE(tmp != NULL);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    long n = (long)lseek(fileno(tmp), 0, SEEK_END);
    char *out = calloc(1, (size_t)n + 1);
    REQUIRE(out != NULL);
    REQUIRE(pread(fileno(tmp), out, (size_t)n, 0) == n);
    fclose(tmp);
    return out;
}

#define LINES 300

static void log_many(void)
{
    log_batch b = LOG_BATCH_INIT;
    for (int i = 0; i < LINES; i++) {
        log_field f[] = {LOG_I("n", i), LOG_S("kind", "upsert"), LOG_S("note", "two words")};
        log_batch_event(&b, "job_end", f, 3);
    }
    log_batch_flush(&b);
    log_batch_flush(&b); /* an empty batch writes nothing */
}

static void test_batch_lines(void)
{
    check_case_name = "batch lines";
    char *out = capture(log_many);
    int count = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char want[96];
        snprintf(want, sizeof want, " job_end n=%d kind=upsert note=\"two words\"", count);
        const char *sp = strchr(line, ' ');
        if (!CHECK(sp && strcmp(sp, want) == 0))
            fprintf(stderr, "    line %d: %s\n", count, line);
        count++;
    }
    CHECK_INT(count, LINES);
    free(out);
}

int main(void)
{
    test_batch_lines();
    return check_summary("test_log");
}
