// The portal's HTTP(S) server: the protocol's endpoints (docs/protocol.md: enrol, changes,
// events, and the unauthenticated ping and ping/download) over cpp-httplib, with device
// authentication, gzip both ways, the 16 MiB body limit, the protocol's JSON error bodies,
// and one log line on stderr per request:
//   POST /api/v1/events 200 dev-3 12ms in=1834 out=412
// The Store is the caller's; the server uses it behind one mutex (one SQLite connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "db/result.hpp"
#include "portal/store.hpp"

namespace comptoir::portal {

// A pool thread is held for a whole connection at the link's speed, not only while the
// store is used: a 2G appliance pulling 100 kB at 32 kbit/s holds one for ~25 s. Threads
// mostly wait on sockets, so many are cheap; an internet-facing portal should still sit
// behind a buffering reverse proxy (docs/portal.md).
inline constexpr std::size_t kDefaultThreads = 64;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;          // 0: any free port (see Server::port())
  std::string tls_cert;  // PEM files; both or neither
  std::string tls_key;
  std::size_t threads = kDefaultThreads;
  // Seconds a connection may sit with no byte moving before the portal drops it: the
  // appliance's own stall limit (a slow 2G link that still moves is never cut).
  int io_timeout_s = 30;
  std::function<std::int64_t()> now_ms;          // default: the system clock
  std::function<void(const std::string &)> log;  // one line a request; default: stderr
};

class Server {
 public:
  // Binds and starts serving on a thread of its own. Errors: tls_invalid (the certificate
  // or key cannot be loaded), listen_failed (address in use, no such address).
  static Result<std::unique_ptr<Server>> start(Store &store, ServerOptions options);
  ~Server();  // stops
  Server(const Server &) = delete;
  Server &operator=(const Server &) = delete;

  int port() const { return port_; }
  bool tls() const { return tls_; }
  // "http://127.0.0.1:8088"
  std::string url() const;
  // False once the listening thread has ended (stop(), or a failure).
  bool running() const;
  // Stops accepting, finishes the requests in flight, joins. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  bool tls_ = false;
};

// True for 127.0.0.0/8, ::1 and "localhost": where plain http is allowed without --insecure.
bool is_loopback_host(const std::string &host);

}  // namespace comptoir::portal
