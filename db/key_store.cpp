#include "db/key_store.hpp"

#include <cstring>

namespace comptoir::db {

KeyStore::KeyStore(Connection &conn)
    : conn_(conn),
      all_(conn.prepare(
          "SELECT key_id, public_key, valid_from, valid_until FROM portal_keys ORDER BY key_id")),
      put_(conn.prepare(
          "INSERT INTO portal_keys(key_id, public_key, valid_from, valid_until) VALUES(?, ?, ?, ?) "
          "ON CONFLICT(key_id) DO UPDATE SET public_key = excluded.public_key, "
          "valid_from = excluded.valid_from, valid_until = excluded.valid_until")) {}

Result<std::vector<StoredKey>> KeyStore::all() {
  StatementScope scope(all_);
  std::vector<StoredKey> out;
  int rc;
  while ((rc = all_.step()) == SQLITE_ROW) {
    StoredKey k;
    k.key_id = all_.int64(0);
    const void *blob = sqlite3_column_blob(all_.handle(), 1);
    if (blob == nullptr || sqlite3_column_bytes(all_.handle(), 1) != 32) continue;
    std::memcpy(k.public_key.data(), blob, 32);
    k.valid_from = all_.int64(2);
    k.valid_until = all_.int64(3);
    out.push_back(k);
  }
  if (rc != SQLITE_DONE) return conn_.error();
  return out;
}

Result<void> KeyStore::put(const StoredKey &key) {
  put_.bind(1, key.key_id);
  sqlite3_bind_blob(put_.handle(), 2, key.public_key.data(), 32, SQLITE_TRANSIENT);
  put_.bind(3, key.valid_from).bind(4, key.valid_until);
  return put_.run();
}

}  // namespace comptoir::db
