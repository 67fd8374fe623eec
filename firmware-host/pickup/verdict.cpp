#include "pickup/verdict.hpp"

#include <array>

namespace comptoir {
namespace {

constexpr std::array<std::string_view, 14> kNames = {
    "ready",       "payment_due", "already_collected", "not_ready",     "cancelled",
    "wrong_stand", "too_early",   "expired",           "unknown",       "not_a_pickup_code",
    "forged",      "unknown_key", "mistyped",          "ready_unsynced"};

}  // namespace

std::string_view to_string(VerdictKind kind) {
  return kNames[static_cast<std::size_t>(kind)];
}

std::optional<VerdictKind> verdict_from_string(std::string_view text) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) return static_cast<VerdictKind>(i);
  }
  return std::nullopt;
}

bool can_hand_over(VerdictKind kind) {
  return kind == VerdictKind::ready || kind == VerdictKind::payment_due ||
         kind == VerdictKind::ready_unsynced;
}

}  // namespace comptoir
