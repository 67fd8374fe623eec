// libFuzzer target for what crosses the network between the appliance and a portal: the
// wire parsers (firmware-host/sync/wire.hpp) and the Authorization header parser. Byte 0 of
// the input picks the parser, the rest is the body. No input may crash, leak or trip a
// sanitizer; a refusal must be wire_invalid with a detail; and whatever a parser accepts
// must come back equal through to_json and the parser again, with the same JSON the second
// time (to_json(parse(x)) is a fixed point).
//
// With COMPTOIR_FUZZ_WRITE_SEEDS=DIR in the environment the target writes its seeds (a real
// page of demo orders, a push of every event kind, acks, enrolment, error bodies, a signed
// header), one per parser, into DIR and exits.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sync/demo_region.hpp"
#include "sync/device_auth.hpp"
#include "sync/wire.hpp"

namespace {

namespace wire = comptoir::wire;

enum Target : unsigned char {
  kPage,
  kPushRequest,
  kPushResponse,
  kEnrolRequest,
  kEnrolResponse,
  kErrorBody,
  kAuthorization,
  kTargets
};

template <class T>
void round_trip(comptoir::Result<T> (*parse)(std::string_view), std::string_view body) {
  const comptoir::Result<T> first = parse(body);
  if (!first) {
    if (first.error().code != "wire_invalid" || first.error().detail.empty()) std::abort();
    return;
  }
  const std::string json = wire::to_json(*first);
  const comptoir::Result<T> second = parse(json);
  if (!second || !(*second == *first)) std::abort();
  if (wire::to_json(*second) != json) std::abort();
}

void authorization(std::string_view text) {
  const auto auth = wire::parse_authorization(text);
  if (!auth) return;
  if (auth->signature.size() != 64 || auth->device_id.empty() || auth->timestamp_ms < 0) {
    std::abort();
  }
  // A parsed header verifies or not, but never crashes, whatever key checks it.
  const comptoir::codes::PublicKey key{};
  (void)wire::verify_request(key, *auth, "GET", "/api/v1/changes", "");
}

// --- The seeds ---------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> seeds() {
  constexpr std::int64_t kNow = 1'763'900'000;
  auto region = comptoir::sync::make_demo_region({20, 1, kNow});
  if (!region) std::abort();
  wire::ChangesPage page;
  page.cursor = "s20";
  page.more = true;
  page.portal_time_ms = kNow * 1000;
  page.stands = region->stands;
  page.products = region->products;
  page.orders = region->orders;
  page.keys = std::vector<comptoir::codes::PortalKey>{region->portal_public};

  const std::string uuid = "019a8f5e-1c2d-7e3f-8a4b-5c6d7e8f9a0b";
  const std::string uuid2 = "019a8f5f-1c2d-7e3f-9a4b-5c6d7e8f9a0b";
  wire::PushRequest push;
  push.events.push_back(
      {uuid, 100001, wire::EventKind::partial, {1, 3}, {2}, "", "", "Élodie", kNow * 1000});
  push.events.push_back(
      {uuid2, 100004, wire::EventKind::refused, {}, {}, "Client absent", "", "", kNow * 1000});
  push.events.push_back({"019a8f60-1c2d-7e3f-aa4b-5c6d7e8f9a0b",
                         100001,
                         wire::EventKind::undo,
                         {},
                         {},
                         "",
                         uuid,
                         "",
                         kNow * 1000});
  push.events.push_back({"019a8f61-1c2d-7e3f-ba4b-5c6d7e8f9a0b",
                         100002,
                         wire::EventKind::full,
                         {1},
                         {},
                         "",
                         "",
                         "",
                         kNow * 1000});

  wire::PushResponse acks;
  acks.acks = {{uuid, false, {}},
               {uuid2, true, {wire::Conflict::cancelled, wire::Conflict::other_stand}}};
  acks.portal_time_ms = kNow * 1000;

  const wire::EnrolRequest enrol{"K7QM-9X2D-F3A4", region->portal_public.public_key, "caisse-1"};
  wire::EnrolResponse enrolled;
  enrolled.device_id = "dev-7";
  enrolled.portal_name = "Portail Sud-Aveyron";
  enrolled.stands = region->stands;
  enrolled.keys = {region->portal_public};
  enrolled.portal_time_ms = kNow * 1000;

  const auto with = [](Target target, const std::string &body) {
    return std::string(1, static_cast<char>(target)) + body;
  };
  return {
      {"page", with(kPage, wire::to_json(page))},
      {"push-request", with(kPushRequest, wire::to_json(push))},
      {"push-response", with(kPushResponse, wire::to_json(acks))},
      {"enrol-request", with(kEnrolRequest, wire::to_json(enrol))},
      {"enrol-response", with(kEnrolResponse, wire::to_json(enrolled))},
      {"error-skew", with(kErrorBody, wire::to_json(wire::ErrorBody{"clock_skew", "Horloge décalée",
                                                                    kNow * 1000}))},
      {"authorization",
       with(kAuthorization, wire::sign_request(region->portal_key.secret_key, "dev-7", "GET",
                                               "/api/v1/changes?cursor=s1", kNow * 1000, ""))},
  };
}

void write_seeds(const std::string &dir) {
  int written = 0;
  for (const auto &[name, content] : seeds()) {
    std::ofstream out(dir + "/gen-" + name, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      std::fprintf(stderr, "comptoir-fuzz-wire: cannot write seeds into %s\n", dir.c_str());
      std::exit(1);
    }
    ++written;
  }
  std::fprintf(stderr, "comptoir-fuzz-wire: %d seeds written into %s\n", written, dir.c_str());
  std::exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *dir = std::getenv("COMPTOIR_FUZZ_WRITE_SEEDS")) write_seeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char *>(data) + 1, size - 1);
  switch (static_cast<Target>(data[0] % kTargets)) {
    case kPage:
      round_trip(wire::parse_changes_page, body);
      break;
    case kPushRequest:
      round_trip(wire::parse_push_request, body);
      break;
    case kPushResponse:
      round_trip(wire::parse_push_response, body);
      break;
    case kEnrolRequest:
      round_trip(wire::parse_enrol_request, body);
      break;
    case kEnrolResponse:
      round_trip(wire::parse_enrol_response, body);
      break;
    case kErrorBody:
      round_trip(wire::parse_error_body, body);
      break;
    case kAuthorization:
    case kTargets:
      authorization(body);
      break;
  }
  return 0;
}
