// Event identifiers: UUID version 7 (time-ordered, RFC 9562), made at scan time so a
// retried handover or push is recognised as the same event.
#pragma once

#include <cstdint>
#include <string>

namespace comptoir {

std::string make_uuid_v7(std::int64_t wall_ms);
bool is_uuid(const std::string &text);

}  // namespace comptoir
