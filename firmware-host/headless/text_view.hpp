// A person's view of the headless answers, for a terminal: the verdict in capitals, what
// to do next, the order lines. Drawn from the same JSON object the protocol writes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/messages.hpp"

namespace comptoir {

std::string render_text(const nlohmann::json &answer, Lang lang, bool color);

}  // namespace comptoir
