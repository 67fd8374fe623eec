// The portal's public signing keys, as the portal last sent them.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "db/result.hpp"
#include "db/sqlite.hpp"

namespace comptoir::db {

struct StoredKey {
  std::int64_t key_id = 0;
  std::array<unsigned char, 32> public_key{};
  std::int64_t valid_from = 0;   // Unix seconds
  std::int64_t valid_until = 0;  // Unix seconds
};

class KeyStore {
 public:
  explicit KeyStore(Connection &conn);
  Result<std::vector<StoredKey>> all();
  Result<void> put(const StoredKey &key);  // insert or replace by key id

 private:
  Connection &conn_;
  Statement all_, put_;
};

}  // namespace comptoir::db
