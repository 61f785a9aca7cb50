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

    /* 2: lists, custom field definitions, alternate email lookup, recent contacts */
    "CREATE TABLE lists ("
    "  account_id INTEGER NOT NULL,"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX lists_by_name ON lists(account_id, name);"
    "CREATE TABLE list_members ("
    "  account_id INTEGER NOT NULL,"
    "  list_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  added_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, list_id, contact_id)) WITHOUT ROWID;"
    "CREATE INDEX list_members_by_contact ON list_members(account_id, contact_id);"
    "CREATE INDEX list_members_recent ON list_members(account_id, list_id, added_at);"
    "CREATE TABLE field_definitions ("
    "  account_id INTEGER NOT NULL,"
    "  id TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  field_type INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX field_definitions_by_name ON field_definitions(account_id, lower(name));"
    /* ids are never reused, even after a delete: the counter lives here */
    "CREATE TABLE field_counters ("
    "  account_id INTEGER PRIMARY KEY,"
    "  last INTEGER NOT NULL);"
    "CREATE TABLE contact_alternate_emails ("
    "  account_id INTEGER NOT NULL,"
    "  email TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  PRIMARY KEY (account_id, email, contact_id)) WITHOUT ROWID;"
    "CREATE INDEX contact_alternate_emails_by_contact"
    "  ON contact_alternate_emails(account_id, contact_id);"
    "CREATE INDEX contacts_recent ON contacts(account_id, updated_at);",

    /* 3: job payloads apart from the job rows (see jobs.c) */
    "CREATE TABLE job_payloads ("
    "  job_seq INTEGER PRIMARY KEY,"
    "  payload BLOB NOT NULL);"
    "INSERT INTO job_payloads(job_seq, payload) SELECT seq, payload FROM jobs WHERE status = 0;"
    "UPDATE jobs SET payload = x'' WHERE payload != x'';",

    /* 4: export files, import uploads, jobs by kind (GET /exports) */
    "CREATE TABLE export_chunks ("
    "  job_seq INTEGER NOT NULL,"
    "  chunk_no INTEGER NOT NULL,"
    "  file_no INTEGER NOT NULL,"
    "  last_id TEXT,"
    "  bytes INTEGER NOT NULL,"
    "  data BLOB NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  PRIMARY KEY (job_seq, chunk_no));"
    "CREATE INDEX export_chunks_expiry ON export_chunks(expires_at);"
    "CREATE TABLE import_uploads ("
    "  job_id TEXT PRIMARY KEY,"
    "  account_id INTEGER NOT NULL,"
    "  token TEXT NOT NULL,"
    "  spec TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX jobs_by_kind ON jobs(account_id, kind, seq);"
    /* scans in creation order (store_contact_scan) */
    "CREATE INDEX contacts_by_created ON contacts(account_id, created_at, id);",

    /* 5: subuser parents, delayed jobs (run_after), settings (account 0: global) */
    "ALTER TABLE accounts ADD COLUMN parent_id INTEGER;"
    "CREATE INDEX accounts_by_parent ON accounts(parent_id) WHERE parent_id IS NOT NULL;"
    "ALTER TABLE jobs ADD COLUMN run_after INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE settings ("
    "  account_id INTEGER PRIMARY KEY,"
    "  job_delay_ms INTEGER NOT NULL);"
    "CREATE INDEX jobs_pending_by_account ON jobs(account_id, seq) WHERE status = 0;",

    /* 6: errors_url tokens; contacts deleted per calendar month (billable_count) */
    "ALTER TABLE jobs ADD COLUMN errors_token TEXT;"
    "CREATE TABLE billing_deletions ("
    "  account_id INTEGER NOT NULL,"
    "  month INTEGER NOT NULL," /* UTC, as YYYYMM */
    "  deleted INTEGER NOT NULL,"
    "  PRIMARY KEY (account_id, month)) WITHOUT ROWID;",
    /* 7: Segments 2.0 and their live membership */
    "CREATE TABLE segments ("
    "  account_id INTEGER NOT NULL,"
    "  id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  query_dsl TEXT NOT NULL,"
    "  parent_list_id TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  evaluated_at INTEGER NOT NULL,"
    "  error TEXT,"
    "  members_version INTEGER NOT NULL DEFAULT 0,"
    "  contacts_count INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (account_id, id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX segments_by_name ON segments(account_id, name);"
    "CREATE TABLE segment_members ("
    "  account_id INTEGER NOT NULL,"
    "  segment_id TEXT NOT NULL,"
    "  contact_id TEXT NOT NULL,"
    "  PRIMARY KEY (account_id, segment_id, contact_id)) WITHOUT ROWID;"
    "CREATE INDEX segment_members_by_contact ON segment_members(account_id, contact_id);",
};

const int sqlite_migration_count = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
