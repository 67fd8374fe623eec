// Names of the desk's values for the layers above the database; see desk.hpp.
#include "pickup/desk.hpp"

#include "db/handover_ledger.hpp"

namespace comptoir {

std::string_view handover_kind_name(HandoverKind kind) {
  // The ledger's own names: one spelling for the ledger, the portal and the screens' files.
  return db::to_string(kind);
}

}  // namespace comptoir
