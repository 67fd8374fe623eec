#include "headless/run_headless.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/appliance.hpp"
#include "runtime/cache_check.hpp"
#include "runtime/clock.hpp"

namespace comptoir {

int run_headless(const HeadlessArgs &args) {
  const Lang lang = args.session.lang;
  auto appliance = open_appliance(args.data_dir, args.stand);
  if (!appliance) {
    const std::string message = error_message(appliance.error(), lang);
    std::fprintf(stderr, "comptoir: %s\n", message.c_str());
    const nlohmann::json j = {
        {"type", "error"}, {"ok", false}, {"error", appliance.error().code}, {"message", message}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 1;
  }
  SystemClock clock;
  PickupService service(*appliance->db, clock, Identity{appliance->stand_id, appliance->device_id});
  HeadlessSession session(service, args.session);
  // Scans are served while the large order cache is checked; the ledger was checked.
  CacheCheck check(appliance->db->path(), [lang](const Error &e) {
    const Error damaged = make_error("cache_damaged", e.detail);
    std::fprintf(stderr, "comptoir: %s\n", error_message(damaged, lang).c_str());
  });
  session.set_cache_check(&check);
  session.run(stdin, stdout);
  return 0;
}

}  // namespace comptoir
