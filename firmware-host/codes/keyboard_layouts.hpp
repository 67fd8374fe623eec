// Undoing keyboard-layout mix-ups: a keyboard-wedge scanner sends key positions, and when
// the scanner and the host disagree on the layout, "K7QM-9X2D" arrives as "KèA?)çXéD" (a US
// scanner on a French host). Each reading here is one (scanner, host) pair undone; which
// one is right is decided elsewhere, by a check symbol or a signature.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace comptoir::codes {

struct LayoutReading {
  std::string scanner;  // the layout the scanner types for: "us", "uk", "fr", "de"
  std::string host;     // the layout the host reads with
  std::string text;     // what the scanner meant
};

// Every reading of `typed` under a mismatched (scanner, host) pair of us, uk, fr and de that
// changes the text, without duplicates, most common mix-ups first (us/fr, fr/us, us/de,
// de/us, ...). Pure; work and output are bounded by the input's length (callers cap it).
std::vector<LayoutReading> layout_readings(std::string_view typed);

// The mix-up itself: what a scanner set to `scanner` types on a host set to `host` (the
// reading of that pair undoes it). For demo data, tests and the fuzzer. nullopt for an
// unknown layout name or scanner == host.
std::optional<std::string> type_through(std::string_view text, std::string_view scanner,
                                        std::string_view host);

}  // namespace comptoir::codes
