/*
 * peerscope-record: the schema, as SQL for each store. Both stores hold
 * the same tables, columns and views (types and a few functions differ by
 * dialect); README.md ("Recording") describes them for users.
 *
 * Migrations: entry i upgrades a store at schema version i to i + 1
 * (entry 0 creates everything). A store at a version above
 * REC_SCHEMA_VERSION is refused: a newer tool wrote it.
 */
#ifndef PSC_TOOLS_RECORD_SCHEMA_H
#define PSC_TOOLS_RECORD_SCHEMA_H

#include "store.h"

/* 'PSCR': PRAGMA application_id of a peerscope-record database. */
#define REC_SQLITE_APP_ID 0x50534352

extern const char *const rec_sqlite_migrations[REC_SCHEMA_VERSION];
extern const char *const rec_pg_migrations[REC_SCHEMA_VERSION];

#endif
