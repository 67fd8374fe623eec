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

// A sync round's error code (DeskStatus::sync_error) summed up for the banner and :status,
// so the kiosk's words and the headless ones put each code in the same place.
enum class SyncTrouble {
  none,            // no error, or one that says nothing about the link (aborted: stopping)
  offline,         // offline: no network, or the portal's host did not answer
  unreachable,     // stalled, transfer_failed: the link broke during the round
  portal_down,     // portal_error: the portal answered 5xx
  bad_answer,      // portal_invalid, wire_invalid, page_inconsistent, response_too_large
  certificate,     // tls_untrusted: the technician
  address,         // bad_url, insecure_url: the technician
  device_refused,  // portal_refused (401/403): the technician
  clock,           // clock_skew: the technician
  credentials,     // credentials_unreadable: the technician
  other,           // anything else (disk_full...)
};
SyncTrouble sync_trouble(std::string_view sync_error);
// Only a person can fix it; the others go away by themselves when the link or portal does.
bool needs_technician(SyncTrouble trouble);
// The link in one line, lower case, for :status: "hors ligne · 5 remises en attente ·
// dernière synchro il y a 2 h · 2 à vérifier". now_ms: wall time, for the sync's age.
std::string sync_status_message(const DeskStatus &status, std::int64_t now_ms, Lang lang);
// Who reads an error sentence. The running appliance (kiosk, headless, `sync --once`): a
// failed sync round is retried by itself and the handovers wait here. `comptoir enrol`: there
// is no handover to keep and nothing retries by itself; the person enrolling is told that
// nothing was changed and what to do before trying again. Only the sync codes differ.
enum class ErrorContext { appliance, enrolment };
// Known error codes get a sentence with the next step; others a generic one with detail.
std::string error_message(const Error &error, Lang lang,
                          ErrorContext context = ErrorContext::appliance);
// A scanner arrived, left, dropped a scan or cannot be used: what staff should do.
std::string device_notice_message(const drivers::DeviceNotice &notice, Lang lang);

}  // namespace comptoir
