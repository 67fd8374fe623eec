// The sentences staff read: French first, English second. Each says what to do next.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/result.hpp"
#include "drivers/scan_event.hpp"
#include "pickup/desk.hpp"
#include "pickup/verdict.hpp"

namespace comptoir {

enum class Lang { fr, en };

std::optional<Lang> lang_from_string(std::string_view text);

std::string format_money(std::int64_t cents, Lang lang);        // "12,50 €" / "€12.50"
std::string format_local_time(std::int64_t unix_s, Lang lang);  // "24/11 à 17:00"
std::string iso_local_time(std::int64_t unix_s);                // "2026-11-24T17:00:00+01:00"

std::string verdict_message(const Verdict &verdict, Lang lang);
// For the technician: "us>fr" -> "lecteur réglé en US, poste en FR".
std::string layout_message(const std::string &layout, Lang lang);
std::string receipt_message(const HandoverReceipt &receipt, Lang lang);
std::string status_message(const DeskStatus &status, Lang lang);
// Known error codes get a sentence with the next step; others a generic one with detail.
std::string error_message(const Error &error, Lang lang);
// A scanner arrived, left, dropped a scan or cannot be used: what staff should do.
std::string device_notice_message(const drivers::DeviceNotice &notice, Lang lang);

}  // namespace comptoir
