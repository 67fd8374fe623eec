// The short typed code: 10 Crockford Base32 symbols (50 random bits) and one check
// symbol (value mod 37, Crockford's check alphabet), shown as K7QM-9X2D-F3A.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace comptoir::codes {

inline constexpr int kShortCodeSymbols = 10;
inline constexpr std::uint64_t kShortCodeMax = (std::uint64_t{1} << 50) - 1;

enum class ShortCodeStatus { ok, wrong_check, not_short_code };

struct ShortCodeRead {
  ShortCodeStatus status = ShortCodeStatus::not_short_code;
  std::uint64_t value = 0;  // set when status == ok
};

// Upper-cases, drops spaces and dashes, reads I and L as 1 and O as 0. Returns nullopt
// when a character can be no Crockford symbol.
std::optional<std::string> crockford_clean(std::string_view text);

char check_symbol(std::uint64_t value);
ShortCodeRead read_short_code(std::string_view text);
std::string format_short_code(std::uint64_t value);  // "K7QM-9X2D-F3A"

}  // namespace comptoir::codes
