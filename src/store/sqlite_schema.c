/*
 * sqlite_schema: see sqlite_schema.h.
 *
 * Identifier columns are NULL when unset so that the partial unique indexes enforce
 * "each identifier value belongs to at most one contact of an account" without counting
 * absent values. Times are integer milliseconds since the Unix epoch.
 */
#include "store/sqlite_schema.h"

const char *const sqlite_migrations[] = {
    /* 1: accounts, keys, contacts, jobs */
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE api_keys ("
    "  key_id TEXT PRIMARY KEY,"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  secret_sha256 BLOB NOT NULL,"
    "  scopes TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER);"
    "CREATE TABLE contacts ("
    "  account_id INTEGER NOT NULL,"
    "  id TEXT NOT NULL,"
    "  email TEXT, phone_number_id TEXT, external_id TEXT, anonymous_id TEXT,"
    "  first_name TEXT, last_name TEXT, unique_name TEXT,"
    "  address_line_1 TEXT, address_line_2 TEXT, city TEXT, state_province_region TEXT,"
    "  country TEXT, postal_code TEXT, phone_number TEXT, whatsapp TEXT, line TEXT,"
    "  facebook TEXT,"
    "  alternate_emails TEXT, custom_fields TEXT,"
    "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX contacts_by_id ON contacts(account_id, id);"
    "CREATE UNIQUE INDEX contacts_by_email ON contacts(account_id, email)"
    "  WHERE email IS NOT NULL;"
    "CREATE UNIQUE INDEX contacts_by_phone_number_id ON contacts(account_id, phone_number_id)"
    "  WHERE phone_number_id IS NOT NULL;"
    "CREATE UNIQUE INDEX contacts_by_external_id ON contacts(account_id, external_id)"
    "  WHERE external_id IS NOT NULL;"
    "CREATE UNIQUE INDEX contacts_by_anonymous_id ON contacts(account_id, anonymous_id)"
    "  WHERE anonymous_id IS NOT NULL;"
    "CREATE TABLE jobs ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_id INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0,"
    "  payload BLOB NOT NULL,"
    "  cursor INTEGER NOT NULL DEFAULT 0,"
    "  requested INTEGER NOT NULL,"
    "  created INTEGER NOT NULL DEFAULT 0,"
    "  updated INTEGER NOT NULL DEFAULT 0,"
    "  deleted INTEGER NOT NULL DEFAULT 0,"
    "  errored INTEGER NOT NULL DEFAULT 0,"
    "  accepted_at INTEGER NOT NULL,"
    "  finished_at INTEGER);"
    "CREATE INDEX jobs_pending ON jobs(seq) WHERE status = 0;"
    "CREATE TABLE job_errors ("
    "  job_seq INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL,"
    "  identifiers TEXT NOT NULL,"
    "  message TEXT NOT NULL,"
    "  PRIMARY KEY (job_seq, idx)) WITHOUT ROWID;",
};

const int sqlite_migration_count = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
