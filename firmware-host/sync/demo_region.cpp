// The demo region, generated as a portal would hold it (see demo_region.hpp). Moved here
// from provisioning/demo_data.cpp so the appliance's offline demo and the reference portal
// make the very same region: the random sequence, the orders, the codes and the verdicts
// are unchanged from the generator that wrote the cache directly.
#include "sync/demo_region.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <span>
#include <string_view>

#include "codes/keyboard_layouts.hpp"
#include "codes/short_code.hpp"

namespace comptoir::sync {
namespace {

struct DemoProduct {
  std::string_view name;
  std::string_view unit;
  bool variable_weight;
  std::int64_t unit_price_cents;  // per unit, or per kg for variable weight
};

constexpr std::array<DemoProduct, 16> kFarmProducts = {{
    {"Panier de légumes de saison", "pièce", false, 1500},
    {"Œufs fermiers (boîte de 6)", "pièce", false, 390},
    {"Poulet fermier", "kg", true, 1290},
    {"Carottes des sables", "kg", true, 280},
    {"Pommes de terre Charlotte", "kg", true, 250},
    {"Tomme de brebis", "kg", true, 2450},
    {"Fromage de chèvre frais", "pièce", false, 320},
    {"Salade batavia", "pièce", false, 150},
    {"Côtes de porc", "kg", true, 1490},
    {"Jus de pomme 1 L", "L", false, 350},
    {"Confiture de figues", "pièce", false, 590},
    {"Beurre demi-sel 250 g", "pièce", false, 420},
    {"Crème fraîche épaisse", "pièce", false, 380},
    {"Yaourts nature (x4)", "pièce", false, 300},
    {"Botte de radis", "botte", false, 180},
    {"Lentilles vertes 500 g", "pièce", false, 410},
}};

constexpr std::array<DemoProduct, 6> kBakeryProducts = {{
    {"Pain de campagne au levain", "pièce", false, 450},
    {"Baguette tradition", "pièce", false, 120},
    {"Fouace aveyronnaise", "pièce", false, 890},
    {"Brioche tressée", "pièce", false, 650},
    {"Pain aux noix", "kg", true, 980},
    {"Croissants (x6)", "pièce", false, 690},
}};

constexpr std::array<DemoProduct, 4> kHoneyProducts = {{
    {"Miel de châtaignier 500 g", "pièce", false, 1100},
    {"Miel de montagne 250 g", "pièce", false, 700},
    {"Pain d'épices", "pièce", false, 650},
    {"Bougie en cire d'abeille", "pièce", false, 800},
}};

constexpr std::array<std::string_view, 24> kCustomers = {
    "Marie D.",   "Jean-Pierre L.", "Françoise M.", "Zoé B.",      "Loïc T.",     "Hélène R.",
    "Noël G.",    "Anaïs P.",       "Benoît C.",    "Gaëlle K.",   "Cédric V.",   "Maëlys F.",
    "Jérôme A.",  "Agnès S.",       "Théo N.",      "Éloïse H.",   "François B.", "Léa M.",
    "Raphaël J.", "Chloé W.",       "Maïwenn Q.",   "Stéphane O.", "Inès E.",     "Aurélien Y."};

// The local stand's orders cycle through these twenty slots, so every verdict appears.
enum class Slot {
  ready,
  payment_due,
  collected,
  not_ready,
  cancelled,
  too_early,
  expired,
  elsewhere
};
constexpr std::array<Slot, 20> kSlots = {
    Slot::ready,       Slot::ready,     Slot::ready,     Slot::ready,     Slot::ready,
    Slot::ready,       Slot::ready,     Slot::ready,     Slot::ready,     Slot::payment_due,
    Slot::payment_due, Slot::collected, Slot::collected, Slot::not_ready, Slot::not_ready,
    Slot::cancelled,   Slot::too_early, Slot::expired,   Slot::elsewhere, Slot::elsewhere};

std::string_view expected(Slot slot) {
  switch (slot) {
    case Slot::ready:
      return "ready";
    case Slot::payment_due:
      return "payment_due";
    case Slot::collected:
      return "already_collected";
    case Slot::not_ready:
      return "not_ready";
    case Slot::cancelled:
      return "cancelled";
    case Slot::too_early:
      return "too_early";
    case Slot::expired:
      return "expired";
    case Slot::elsewhere:
      return "wrong_stand";
  }
  return "";
}

// A bijection on 50-bit values: distinct orders always get distinct, random-looking codes.
std::uint64_t scramble(std::uint64_t x, std::uint64_t seed) {
  constexpr std::uint64_t mask = codes::kShortCodeMax;
  x = (x + seed) & mask;
  for (int round = 0; round < 3; ++round) {
    x = (x * 0x9E3779B97F4A7C15ULL) & mask;  // odd multiplier: invertible mod 2^50
    x ^= x >> 23;
  }
  return x;
}

// What a scanner set to US types on a French (AZERTY) host, for the demo's mangled reads.
std::string typed_us_on_fr(std::string_view text) {
  return codes::type_through(text, "us", "fr").value_or(std::string(text));
}

std::uint16_t day_of(std::int64_t unix_s) {
  return static_cast<std::uint16_t>(unix_s / 86400);
}

}  // namespace

codes::KeyPair demo_portal_key(std::uint64_t seed) {
  std::array<unsigned char, 32> bytes{};
  for (std::size_t b = 0; b < bytes.size(); ++b) {
    bytes[b] = static_cast<unsigned char>(static_cast<unsigned char>(seed >> (8 * (b % 8))) ^ b);
  }
  return codes::key_pair_from_seed(bytes);
}

Result<DemoRegion> make_demo_region(const DemoOptions &options, const DemoSink &sink) {
  if (options.orders < 20) return make_error("usage", "a demo region needs at least 20 orders");

  DemoRegion region;
  region.local_stand = 1;
  region.stands = {
      {1, "La Ferme du Bois Joli", "Marché de Saint-Affrique, place de la Fontaine"},
      {2, "Boulangerie Marchand", "Millau, 12 rue Droite"},
      {3, "Les Ruchers de l'Aubrac", "Marché de Laguiole, place du Foirail"},
  };
  struct Catalogue {
    std::int64_t stand;
    std::int64_t first_id;
    std::span<const DemoProduct> products;
  };
  const std::array<Catalogue, 3> catalogues = {
      {{1, 1000, kFarmProducts}, {2, 2000, kBakeryProducts}, {3, 3000, kHoneyProducts}}};
  for (const Catalogue &c : catalogues) {
    for (std::size_t i = 0; i < c.products.size(); ++i) {
      const DemoProduct &p = c.products[i];
      region.products.push_back({c.first_id + static_cast<std::int64_t>(i), c.stand,
                                 std::string(p.name), std::string(p.unit), p.variable_weight});
    }
  }

  std::mt19937_64 rng(options.seed);
  const std::int64_t now = options.now_s;
  const bool list_all = options.orders <= 10'000;
  region.portal_key = demo_portal_key(options.seed);
  region.portal_public = {region.key_id, region.portal_key.public_key, now - 30 * 86400,
                          now + 365 * 86400};
  if (sink.begin) {
    if (auto r = sink.begin(region); !r) return r.error();
  }
  const auto sign = [&](std::int64_t order_id, std::int64_t stand_id, std::int64_t until_s,
                        bool prepaid) {
    codes::TokenFields f{region.key_id, static_cast<std::uint64_t>(order_id),
                         static_cast<std::uint32_t>(stand_id), day_of(until_s),
                         prepaid ? codes::kFlagPrepaid : std::uint8_t{0}};
    return codes::sign_token(f, region.portal_key.secret_key);
  };
  std::vector<DemoCode> tokens;
  for (std::int64_t i = 0; i < options.orders; ++i) {
    const Slot slot = kSlots[static_cast<std::size_t>(i % 20)];
    const Catalogue &cat = catalogues[slot == Slot::elsewhere ? 1 + (i / 20) % 2 : 0];
    wire::Order o;
    o.id = 100001 + i;
    o.number = "C-" + std::to_string(o.id);
    o.stand_id = cat.stand;
    o.customer = std::string(kCustomers[rng() % kCustomers.size()]);
    o.status = wire::OrderStatus::ready;
    // Pickups run from two hours ago to two days from now: the expected verdicts hold for a
    // while after the demo is made.
    o.pickup_from = now - 2 * 3600;
    o.pickup_until = now + 2 * 86400;
    o.short_code = static_cast<std::int64_t>(scramble(static_cast<std::uint64_t>(i), options.seed));

    const int line_count = 1 + static_cast<int>(rng() % 5);  // 3 on average
    std::int64_t total = 0;
    for (int l = 1; l <= line_count; ++l) {
      const std::size_t p =
          (static_cast<std::size_t>(rng()) + static_cast<std::size_t>(l)) % cat.products.size();
      const DemoProduct &dp = cat.products[p];
      const std::int64_t qty = dp.variable_weight
                                   ? 250 + static_cast<std::int64_t>(rng() % 1750)
                                   : 1000 * (1 + static_cast<std::int64_t>(rng() % 3));
      const std::int64_t price = dp.unit_price_cents * qty / 1000;
      total += price;
      o.lines.push_back({l, cat.first_id + static_cast<std::int64_t>(p), qty, price});
    }
    o.paid_cents = total;
    switch (slot) {
      case Slot::payment_due:
        o.due_cents = std::max<std::int64_t>((total + 1) / 2, 1);
        o.paid_cents = total - o.due_cents;
        break;
      case Slot::collected:
        o.status = wire::OrderStatus::collected;
        o.collected_at_ms = (now - 20 * 3600 - static_cast<std::int64_t>(rng() % 3600)) * 1000;
        o.collected_device = "caisse-marche-2";
        o.collected_staff = "Élodie";
        break;
      case Slot::not_ready:
        o.status = wire::OrderStatus::pending;
        break;
      case Slot::cancelled:
        o.status = wire::OrderStatus::cancelled;
        break;
      case Slot::too_early:
        o.pickup_from = now + 2 * 86400;
        o.pickup_until = o.pickup_from + 4 * 3600;
        break;
      case Slot::expired:
        o.pickup_from = now - 3 * 86400 - 4 * 3600;
        o.pickup_until = now - 3 * 86400;
        break;
      case Slot::ready:
      case Slot::elsewhere:
        break;
    }
    if (list_all) {
      region.codes.push_back({codes::format_short_code(static_cast<std::uint64_t>(o.short_code)),
                              o.number, std::string(expected(slot)), o.customer});
    }
    if (list_all && i < 40) {
      tokens.push_back({sign(o.id, o.stand_id, o.pickup_until, o.due_cents == 0), o.number,
                        std::string(expected(slot)), o.customer});
    }
    if (sink.order) {
      if (auto r = sink.order(o); !r) return r.error();
    } else {
      region.orders.push_back(std::move(o));
    }
  }

  if (list_all) {
    // Codes that match no order: genuine-looking but unknown, mistyped, and not codes at all.
    for (std::uint64_t k = 0; k < 3; ++k) {
      const auto value =
          scramble(static_cast<std::uint64_t>(options.orders) + 1000 + k, options.seed);
      region.codes.push_back({codes::format_short_code(value), "", "unknown", ""});
    }
    std::string mistyped = region.codes.front().code;
    mistyped.back() = mistyped.back() == '0' ? '1' : '0';
    region.codes.push_back({mistyped, "", "mistyped", ""});
    for (const char *text :
         {"3017620422003", "https://example.org/commande/42", "bonjour", "lot n°4521 DLC 28/11"}) {
      region.codes.push_back({text, "", "not_a_pickup_code", ""});
    }
    // Forgiving reading: the same codes typed in lower case, without dashes, O for 0.
    const DemoCode first = region.codes[0];
    std::string lower;
    for (char c : first.code) {
      if (c != '-') lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    region.codes.push_back({lower, first.order_number, first.expected_verdict, first.customer});
    const DemoCode second = region.codes[1];
    region.codes.push_back(
        {second.order_number, second.order_number, second.expected_verdict, second.customer});

    // Signed tokens, as in the portal's QR codes.
    const DemoCode ready_token = tokens[2];
    region.codes.insert(region.codes.end(), tokens.begin(), tokens.end());
    // Placed after the last sync: genuine, so they can be handed over before their order
    // reaches the cache, unless they belong to another stand.
    const std::int64_t unsynced = 900001;
    region.codes.push_back(
        {sign(unsynced, 1, now + 6 * 3600, true), "#900001", "ready_unsynced", ""});
    region.codes.push_back(
        {sign(unsynced + 1, 1, now + 6 * 3600, true), "#900002", "ready_unsynced", ""});
    region.codes.push_back(
        {sign(unsynced + 2, 2, now + 6 * 3600, true), "#900003", "wrong_stand", ""});
    // One symbol changed in the signature: forged.
    std::string forged = tokens[3].code;
    forged[100] = forged[100] == 'A' ? 'B' : 'A';
    region.codes.push_back({forged, "", "forged", ""});
    // Signed by a portal key this appliance was never given.
    const codes::KeyPair stranger = demo_portal_key(~options.seed);
    codes::TokenFields foreign{7, 100001, 1, day_of(now + 86400), codes::kFlagPrepaid};
    region.codes.push_back(
        {codes::sign_token(foreign, stranger.secret_key), "", "unknown_key", ""});
    // A US-configured scanner on a French host: repaired, and the layout named.
    region.codes.push_back({typed_us_on_fr(ready_token.code), ready_token.order_number,
                            ready_token.expected_verdict, ready_token.customer});
    const DemoCode third = region.codes[3];
    region.codes.push_back(
        {typed_us_on_fr(third.code), third.order_number, third.expected_verdict, third.customer});
  }
  return region;
}

Result<DemoRegion> make_demo_region(const DemoOptions &options) {
  return make_demo_region(options, DemoSink{});
}

}  // namespace comptoir::sync
