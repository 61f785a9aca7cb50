/*
 * sqlite_schema: the SQLite schema as an ordered list of migrations. Migration i brings
 * a database from PRAGMA user_version i to i + 1; store_open applies the missing ones in
 * one transaction. Never edit a migration that has shipped: append a new one.
 */
#ifndef CONTACTD_STORE_SQLITE_SCHEMA_H
#define CONTACTD_STORE_SQLITE_SCHEMA_H

extern const char *const sqlite_migrations[];
extern const int sqlite_migration_count;

#endif
