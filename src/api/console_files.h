/*
 * console_files: the web console's files, compiled into the binary. The table is
 * generated at build time from console/ by cmake/embed_console.cmake (see DESIGN.md);
 * everything in it is static and read-only for the life of the process.
 */
#ifndef CONTACTD_API_CONSOLE_FILES_H
#define CONTACTD_API_CONSOLE_FILES_H

#include <stddef.h>

typedef struct console_file {
    const char *name; /* path below /console/, e.g. "app.js" */
    const char *content_type;
    const char *etag; /* quoted, as the ETag header carries it */
    const unsigned char *data;
    size_t size;
} console_file;

extern const console_file console_files[];
extern const size_t console_file_count;

#endif
