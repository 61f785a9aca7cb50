/*
 * postgres_schema: the PostgreSQL schema as an ordered list of migrations, the
 * counterpart of sqlite_schema.h. Migration i brings a database from version i to i + 1
 * (the version lives in the one-row table contactd_schema); store_open applies the
 * missing ones in one transaction under an advisory lock, so nodes starting together
 * do not race. Never edit a migration that has shipped: append a new one.
 */
#ifndef CONTACTD_STORE_POSTGRES_SCHEMA_H
#define CONTACTD_STORE_POSTGRES_SCHEMA_H

extern const char *const postgres_migrations[];
extern const int postgres_migration_count;

#endif
