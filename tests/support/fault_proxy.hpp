// A TCP proxy on loopback that makes a good link bad on purpose: the sync tests and the
// sync benchmark put it between the appliance and the portal. This machine's `tc` has no
// netem, so latency, a slow link and broken connections are emulated here, in user space.
//
// It listens on 127.0.0.1 (a port the kernel picks) and forwards to 127.0.0.1:upstream.
// Everything can change while it runs:
// - latency: added to every chunk in each direction (one way), so a round trip grows by
//   twice that;
// - rate: a token bucket per direction, shared by all connections as a real link is;
// - faults: decided for each new connection (always, for the next N, or with a
//   probability from a seeded RNG): cut after N response bytes, truncate the body, answer
//   500 or malformed JSON itself, drip the response, stall, or refuse.
// A fault applies to the connection's first response: clients that keep connections alive
// meet it once per connection, as they would on a real network. When the upstream refuses
// (the portal is down), the client's connection is closed at once, as with `refuse`.
//
// No doctest here: bench/ links it too (library comptoir_fault_proxy).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "db/result.hpp"

namespace comptoir::test {

enum class Fault {
  none,
  cut,             // close both sides after `after_bytes` bytes of response (headers count)
  truncate,        // forward the headers and `after_bytes` of the body (default half), close
  error_500,       // read the request, answer 500 with a protocol error body, close
  drip,            // forward the response one byte every `drip_interval_ms`
  stall,           // forward `after_bytes` of the response, then nothing; keep the socket open
  malformed_json,  // read the request, answer 200 application/json with a broken body
  refuse,          // accept, then close at once
};
inline constexpr std::size_t kFaultKinds = 8;
std::string_view to_string(Fault fault);

struct FaultSpec {
  Fault kind = Fault::none;
  // cut, stall: response bytes forwarded first. truncate: body bytes forwarded; 0 means half
  // the body (by its Content-Length), at least one byte.
  std::size_t after_bytes = 0;
  int drip_interval_ms = 20;
  // malformed_json: the body to send; empty: a real-looking page of changes cut short.
  std::string body;

  static FaultSpec of(Fault kind, std::size_t after_bytes = 0) {
    FaultSpec s;
    s.kind = kind;
    s.after_bytes = after_bytes;
    return s;
  }
  static FaultSpec drip(int interval_ms) {
    FaultSpec s = of(Fault::drip);
    s.drip_interval_ms = interval_ms;
    return s;
  }
  static FaultSpec malformed(std::string body) {
    FaultSpec s = of(Fault::malformed_json);
    s.body = std::move(body);
    return s;
  }
};

struct ProxyCounters {
  std::uint64_t connections = 0;  // accepted
  std::uint64_t bytes_up = 0;     // received from clients (requests, headers included)
  std::uint64_t bytes_down = 0;   // sent to clients (responses, headers included)
  std::array<std::uint64_t, kFaultKinds> faults{};  // applied, by Fault (none: not counted)
  std::uint64_t faults_of(Fault kind) const { return faults[static_cast<std::size_t>(kind)]; }
};

class FaultProxy {
 public:
  // Listens at once. Errors: proxy_unusable (socket, bind, listen, thread).
  static Result<std::unique_ptr<FaultProxy>> start(std::uint16_t upstream_port,
                                                   std::uint64_t seed = 1);
  ~FaultProxy();  // stop()
  FaultProxy(const FaultProxy &) = delete;
  FaultProxy &operator=(const FaultProxy &) = delete;

  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"

  // Where new connections go (a restarted portal listens on another port).
  void set_upstream(std::uint16_t port);
  // One way, both directions; 0: none. Applies to bytes read from now on.
  void set_latency(std::chrono::milliseconds one_way);
  // Bytes a second, each direction its own bucket; 0: no cap. 32 kbit/s is 4000.
  void set_rate(std::uint64_t up_bytes_per_s, std::uint64_t down_bytes_per_s);
  void set_rate(std::uint64_t bytes_per_s) { set_rate(bytes_per_s, bytes_per_s); }

  // Replaces the fault rule for new connections (connections already open keep theirs).
  void fault_always(FaultSpec spec);
  void fault_next(int connections, FaultSpec spec);
  void fault_random(double probability, FaultSpec spec);
  void clear_faults();

  // Closes every open connection now (the link drops), leaving the listener up.
  void drop_connections();

  ProxyCounters counters() const;
  void reset_counters();
  std::size_t open_connections() const;

  // Closes the listener and every connection, and joins their threads (within about 100 ms).
  void stop();

  struct Impl;  // public so the connection threads (fault_proxy.cpp) can name it

 private:
  explicit FaultProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace comptoir::test
