/*
 * The tables and views of both stores. Times are milliseconds since the
 * Unix epoch (as on the wire), in the node's clock for what the node
 * stamped (states, events) and in the recorder's for what the recorder
 * saw (first_seen, last_seen, opened, closed). Tables that grow with time
 * carry node_id and ts on every row, so that views and retention need no
 * join to find either.
 *
 * The views are written once, with the few dialect differences as macros.
 */
#include "schema.h"

/* The start of ts's minute, as text in UTC: "2026-12-07 15:30". */
#define SQLITE_MINUTE(ts) "strftime('%Y-%m-%d %H:%M', " ts " / 60000 * 60, 'unixepoch')"
#define PG_MINUTE(ts) "to_char(to_timestamp(" ts " / 60000 * 60) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"

/*
 * A state holds from its ts until the next state of the same session;
 * the last one until the session closed or, while it is open (or when
 * the recorder was killed), until the session was last heard from.
 */
#define VIEW_STATE_SPANS                                                                                         \
    "CREATE VIEW state_spans AS\n"                                                                               \
    "SELECT s.id AS state_id, s.node_id, s.run_id, s.session_id, s.seq, s.ts AS valid_from,\n"                  \
    "       COALESCE(LEAD(s.ts) OVER (PARTITION BY s.session_id ORDER BY s.ts, s.id),\n"                          \
    "                se.closed, se.last_seen) AS valid_to\n"                                                     \
    "FROM states s JOIN sessions se ON se.id = s.session_id;\n"

#define VIEW_CONNECTION_SPANS                                                                                    \
    "CREATE VIEW connection_spans AS\n"                                                                          \
    "SELECT n.peer_id AS node, sp.node_id, sp.state_id, sp.valid_from, sp.valid_to,\n"                          \
    "       c.conn_id, c.peer_id, c.transport, c.direction, c.status, c.remote_addr, c.streams,\n"              \
    "       c.bytes_in, c.bytes_out\n"                                                                           \
    "FROM connections c JOIN state_spans sp ON sp.state_id = c.state_id JOIN nodes n ON n.id = sp.node_id;\n"

#define VIEW_PEERS_OVER_TIME(MINUTE)                                                                             \
    "CREATE VIEW peers_over_time AS\n"                                                                           \
    "SELECT n.peer_id AS node, s.node_id, s.ts / 60000 * 60000 AS minute_ts, " MINUTE("s.ts") " AS minute,\n"   \
    "       min(s.peers) AS peers_min, max(s.peers) AS peers_max,\n"                                             \
    "       max(s.connections_open) AS connections_max, max(s.dht_peers) AS dht_peers_max,\n"                   \
    "       max(s.peerstore_peers) AS peerstore_max, count(*) AS states\n"                                      \
    "FROM states s JOIN nodes n ON n.id = s.node_id\n"                                                           \
    "GROUP BY n.peer_id, s.node_id, s.ts / 60000 * 60000, " MINUTE("s.ts") ";\n"

#define VIEW_PROTOCOL_BANDWIDTH(MINUTE)                                                                          \
    "CREATE VIEW protocol_bandwidth AS\n"                                                                        \
    "SELECT n.peer_id AS node, p.node_id, p.ts / 60000 * 60000 AS minute_ts, " MINUTE("p.ts") " AS minute,\n"   \
    "       p.protocol, sum(p.delta_in) AS bytes_in, sum(p.delta_out) AS bytes_out,\n"                          \
    "       max(p.streams) AS streams_max\n"                                                                     \
    "FROM stream_protocols p JOIN nodes n ON n.id = p.node_id\n"                                                 \
    "GROUP BY n.peer_id, p.node_id, p.ts / 60000 * 60000, " MINUTE("p.ts") ", p.protocol;\n"

#define VIEW_EVENTS_PER_MINUTE(MINUTE)                                                                           \
    "CREATE VIEW events_per_minute AS\n"                                                                         \
    "SELECT n.peer_id AS node, e.node_id, e.ts / 60000 * 60000 AS minute_ts, " MINUTE("e.ts") " AS minute,\n"   \
    "       e.type, count(*) AS events\n"                                                                        \
    "FROM events e JOIN nodes n ON n.id = e.node_id\n"                                                           \
    "GROUP BY n.peer_id, e.node_id, e.ts / 60000 * 60000, " MINUTE("e.ts") ", e.type;\n"

#define VIEW_DHT_FILL(MINUTE)                                                                                    \
    "CREATE VIEW dht_fill AS\n"                                                                                  \
    "SELECT n.peer_id AS node, b.node_id, b.ts / 60000 * 60000 AS minute_ts, " MINUTE("b.ts") " AS minute,\n"   \
    "       b.dht, b.cpl, min(b.peers) AS peers_min, max(b.peers) AS peers_max, max(b.active) AS active_max\n"  \
    "FROM dht_buckets b JOIN nodes n ON n.id = b.node_id\n"                                                      \
    "GROUP BY n.peer_id, b.node_id, b.ts / 60000 * 60000, " MINUTE("b.ts") ", b.dht, b.cpl;\n"

#define VIEWS(MINUTE)                                                                                            \
    VIEW_STATE_SPANS VIEW_CONNECTION_SPANS VIEW_PEERS_OVER_TIME(MINUTE) VIEW_PROTOCOL_BANDWIDTH(MINUTE)          \
        VIEW_EVENTS_PER_MINUTE(MINUTE) VIEW_DHT_FILL(MINUTE)

/*
 * The tables, with the dialect's types: ID (an id the store assigns),
 * INT (64-bit), BLOBT (bytes), JSONT (a JSON value).
 */
#define TABLES(ID, INT, BLOBT, JSONT)                                                                            \
    "CREATE TABLE nodes (\n"                                                                                     \
    "  id " ID ",\n"                                                                                             \
    "  peer_id TEXT NOT NULL,\n"                                                                                 \
    "  implementation TEXT NOT NULL,\n"                                                                          \
    "  first_seen " INT " NOT NULL,\n"                                                                           \
    "  last_seen " INT " NOT NULL,\n"                                                                            \
    "  UNIQUE (peer_id, implementation));\n"                                                                     \
    "CREATE TABLE runs (\n"                                                                                      \
    "  id " ID ",\n"                                                                                             \
    "  node_id " INT " NOT NULL REFERENCES nodes (id),\n"                                                        \
    "  start_ts " INT " NOT NULL,\n"                                                                             \
    "  version TEXT NOT NULL,\n"                                                                                 \
    "  platform TEXT NOT NULL,\n"                                                                                \
    "  peerscope_version TEXT NOT NULL,\n"                                                                       \
    "  first_seen " INT " NOT NULL,\n"                                                                           \
    "  last_seen " INT " NOT NULL,\n"                                                                            \
    "  last_event_seq " INT " NOT NULL DEFAULT 0);\n"                                                            \
    "CREATE UNIQUE INDEX runs_by_start ON runs (node_id, start_ts) WHERE start_ts <> 0;\n"                      \
    "CREATE TABLE event_types (\n"                                                                               \
    "  run_id " INT " NOT NULL REFERENCES runs (id),\n"                                                          \
    "  name TEXT NOT NULL,\n"                                                                                    \
    "  properties " JSONT " NOT NULL,\n"                                                                         \
    "  PRIMARY KEY (run_id, name));\n"                                                                           \
    "CREATE TABLE sessions (\n"                                                                                  \
    "  id " ID ",\n"                                                                                             \
    "  run_id " INT " NOT NULL REFERENCES runs (id),\n"                                                          \
    "  url TEXT NOT NULL,\n"                                                                                     \
    "  opened " INT " NOT NULL,\n"                                                                               \
    "  last_seen " INT " NOT NULL,\n"                                                                            \
    "  closed " INT ",\n"                                                                                        \
    "  close_reason TEXT,\n"                                                                                     \
    "  events_dropped " INT " NOT NULL DEFAULT 0);\n"                                                            \
    "CREATE TABLE states (\n"                                                                                    \
    "  id " ID ",\n"                                                                                             \
    "  node_id " INT " NOT NULL,\n"                                                                              \
    "  run_id " INT " NOT NULL,\n"                                                                               \
    "  session_id " INT " NOT NULL,\n"                                                                           \
    "  seq " INT " NOT NULL,\n"                                                                                  \
    "  ts " INT " NOT NULL,\n"                                                                                   \
    "  kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')),\n"                                                  \
    "  base_seq " INT ",\n"                                                                                      \
    "  blob " BLOBT " NOT NULL,\n"                                                                               \
    "  connections " INT " NOT NULL,\n"                                                                          \
    "  connections_open " INT " NOT NULL,\n"                                                                     \
    "  streams " INT " NOT NULL,\n"                                                                              \
    "  peers " INT " NOT NULL,\n"                                                                                \
    "  dht_peers " INT " NOT NULL,\n"                                                                            \
    "  peerstore_peers " INT " NOT NULL,\n"                                                                      \
    "  topics " INT " NOT NULL,\n"                                                                               \
    "  bytes_in " INT " NOT NULL,\n"                                                                             \
    "  bytes_out " INT " NOT NULL,\n"                                                                            \
    "  rate_in " INT " NOT NULL,\n"                                                                              \
    "  rate_out " INT " NOT NULL);\n"                                                                            \
    "CREATE INDEX states_by_node_ts ON states (node_id, ts);\n"                                                  \
    "CREATE TABLE connections (\n"                                                                               \
    "  state_id " INT " NOT NULL,\n"                                                                             \
    "  node_id " INT " NOT NULL,\n"                                                                              \
    "  ts " INT " NOT NULL,\n"                                                                                   \
    "  conn_id TEXT NOT NULL,\n"                                                                                 \
    "  peer_id TEXT NOT NULL,\n"                                                                                 \
    "  transport TEXT NOT NULL,\n"                                                                               \
    "  direction TEXT NOT NULL,\n"                                                                               \
    "  status TEXT NOT NULL,\n"                                                                                  \
    "  remote_addr TEXT NOT NULL,\n"                                                                             \
    "  streams " INT " NOT NULL,\n"                                                                              \
    "  bytes_in " INT " NOT NULL,\n"                                                                             \
    "  bytes_out " INT " NOT NULL,\n"                                                                            \
    "  rate_in " INT " NOT NULL,\n"                                                                              \
    "  rate_out " INT " NOT NULL,\n"                                                                             \
    "  latency_ns " INT " NOT NULL,\n"                                                                           \
    "  open_ts " INT ",\n"                                                                                       \
    "  close_ts " INT ");\n"                                                                                     \
    "CREATE INDEX connections_by_state ON connections (state_id);\n"                                             \
    "CREATE TABLE stream_protocols (\n"                                                                          \
    "  state_id " INT " NOT NULL,\n"                                                                             \
    "  node_id " INT " NOT NULL,\n"                                                                              \
    "  ts " INT " NOT NULL,\n"                                                                                   \
    "  protocol TEXT NOT NULL,\n"                                                                                \
    "  streams " INT " NOT NULL,\n"                                                                              \
    "  bytes_in " INT " NOT NULL,\n"                                                                             \
    "  bytes_out " INT " NOT NULL,\n"                                                                            \
    "  delta_in " INT ",\n"                                                                                      \
    "  delta_out " INT ");\n"                                                                                    \
    "CREATE INDEX stream_protocols_by_state ON stream_protocols (state_id);\n"                                   \
    "CREATE TABLE dht_buckets (\n"                                                                               \
    "  state_id " INT " NOT NULL,\n"                                                                             \
    "  node_id " INT " NOT NULL,\n"                                                                              \
    "  ts " INT " NOT NULL,\n"                                                                                   \
    "  dht TEXT NOT NULL,\n"                                                                                     \
    "  cpl " INT " NOT NULL,\n"                                                                                  \
    "  peers " INT " NOT NULL,\n"                                                                                \
    "  active " INT " NOT NULL);\n"                                                                              \
    "CREATE INDEX dht_buckets_by_state ON dht_buckets (state_id);\n"                                             \
    "CREATE TABLE events (\n"                                                                                    \
    "  id " ID ",\n"                                                                                             \
    "  node_id " INT " NOT NULL,\n"                                                                              \
    "  run_id " INT " NOT NULL,\n"                                                                               \
    "  ts " INT " NOT NULL,\n"                                                                                   \
    "  seq " INT " NOT NULL,\n"                                                                                  \
    "  type TEXT NOT NULL,\n"                                                                                    \
    "  props " JSONT " NOT NULL);\n"                                                                             \
    "CREATE INDEX events_by_ts ON events (ts);\n"

const char *const rec_sqlite_migrations[REC_SCHEMA_VERSION] = {
    /* 0 -> 1 */
    TABLES("INTEGER PRIMARY KEY", "INTEGER", "BLOB", "TEXT") VIEWS(SQLITE_MINUTE),
};

const char *const rec_pg_migrations[REC_SCHEMA_VERSION] = {
    /* 0 -> 1; psc_meta (the version itself) is made by the store before any migration */
    TABLES("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT", "BYTEA", "JSONB") VIEWS(PG_MINUTE),
};
