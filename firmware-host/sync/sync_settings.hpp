// The sync agent's settings: the [sync] table of the config file (runtime/config.cpp reads
// it, docs/protocol.md "The appliance's settings" lists it). A header of its own so that
// the config does not pull in the agent, libcurl's wrapper or threads.
#pragma once

#include <cstddef>
#include <string>

#include "sync/wire.hpp"

namespace comptoir::sync {

// [sync] in the config (docs/protocol.md, "The appliance's side").
struct SyncSettings {
  bool enabled = true;
  int interval_s = 60;       // between rounds while all is well
  int push_delay_ms = 2000;  // a new handover is pushed within this, when online
  int backoff_base_s = 2;    // after a failure: wait uniform(0, min(cap, base * 2^n))
  int backoff_cap_s = 300;
  int stall_s = 30;  // abort a transfer when no byte moved for this long
  int connect_timeout_s = 20;
  std::string ca_file;    // extra CA for the portal's certificate (private CAs)
  bool insecure = false;  // allow plain http to a host other than loopback
  // The portal's identity key (64 hex), written at enrolment; before any enrolment it lets
  // `comptoir-provision bundle apply` trust a bundle. Empty: none pinned here.
  std::string portal_key;
  int purge_names_after_days = 30;
  std::size_t page_orders = wire::kDefaultPageOrders;
  std::size_t push_batch = wire::kDefaultPushEvents;
};

}  // namespace comptoir::sync
