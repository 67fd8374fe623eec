// The fault proxy (fault_proxy.hpp): one accepting thread, one thread per connection. A
// connection thread polls both sockets and the stop/kill eventfds, and moves bytes through
// two queues (client to upstream, upstream to client) whose chunks are due `latency` after
// they were read and leave only as the direction's token bucket allows; the response
// direction also carries the connection's fault (a byte limit, a drip, a stall). Faults
// that answer by themselves (500, malformed JSON) read the request and put their answer
// in the response queue, so latency and the rate cap apply to them too.
#include "tests/support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace comptoir::test {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

constexpr std::size_t kReadBytes = 16 * 1024;
// Bytes a direction holds before it stops reading its source: the rate cap then pushes
// back on the sender through TCP, as a slow link does.
constexpr std::size_t kMaxQueued = 256 * 1024;
constexpr std::size_t kMaxRequestBytes = 64 * 1024 * 1024;
// After the response is complete and the client was told (FIN), how long to wait for it
// to close before closing anyway.
constexpr auto kCloseGrace = std::chrono::seconds(2);

std::string errno_text(const char *what) {
  return std::string(what) + ": " + std::strerror(errno);
}

void close_fd(int &fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of `name` (lower case, with its colon) in a lower-cased header block, trimmed.
std::optional<std::string> header_value(const std::string &head, std::string_view name) {
  const std::size_t at = head.find("\r\n" + std::string(name));
  if (at == std::string::npos) return std::nullopt;
  std::size_t begin = at + 2 + name.size();
  std::size_t end = head.find("\r\n", begin);
  if (end == std::string::npos) end = head.size();
  while (begin < end && (head[begin] == ' ' || head[begin] == '\t')) ++begin;
  while (end > begin && (head[end - 1] == ' ' || head[end - 1] == '\t')) --end;
  return head.substr(begin, end - begin);
}

std::optional<std::size_t> content_length(const std::string &lowered_head) {
  const auto v = header_value(lowered_head, "content-length:");
  if (!v || v->empty()) return std::nullopt;
  std::size_t n = 0;
  for (char c : *v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// A real-looking page of changes cut in the middle of an order: what a proxy or a portal
// that died while writing would leave.
const char *const kBrokenPage =
    R"({"cursor":"s1042","more":true,"portal_time_ms":1763900000000,)"
    R"("stands":[{"id":1,"name":"La Ferme du Bois Joli","place":"Marché de Saint-Affrique"}],)"
    R"("products":[{"id":1000,"stand":1,"name":"Œufs fermiers","unit":"pièce",)"
    R"("variable_weight":false}],"orders":[{"id":100001,"number":"C-100001","stand":1,)"
    R"("customer":"Marie D.","status":"ready","from":1763892800,"until":1764065600,)"
    R"("paid":2150,"due":0,"code":"K7QM9X2DF3","lines":[[1,1000,2000,780],[2,1003,12)";

std::string answer(const char *status_line, const std::string &body) {
  return std::string(status_line) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

struct Rule {
  enum class When { never, always, next, random };
  When when = When::never;
  int remaining = 0;
  double probability = 0;
  FaultSpec spec;
};

struct Bucket {
  std::atomic<std::uint64_t> rate{0};  // bytes a second; 0: no cap
  double tokens = 0;                   // under Impl::mu
  TimePoint last{};
  static double capacity(std::uint64_t rate) {
    // 20 ms of traffic: small enough that a measured rate is the cap, large enough not
    // to write a byte at a time.
    return std::max(static_cast<double>(rate) / 50.0, 128.0);
  }
};

struct Conn {
  std::thread thread;
  int kill_fd = -1;  // eventfd: written by drop_connections
  std::atomic<bool> finished{false};
  Conn() = default;
  Conn(const Conn &) = delete;
  Conn &operator=(const Conn &) = delete;
  ~Conn() {
    if (thread.joinable()) thread.join();
    close_fd(kill_fd);
  }
};

}  // namespace

struct FaultProxy::Impl {
  int listen_fd = -1;
  int stop_fd = -1;  // eventfd, written once by stop() and never read: wakes every poller
  std::uint16_t port = 0;
  std::atomic<std::uint16_t> upstream{0};
  std::atomic<std::int64_t> latency_ms{0};
  Bucket buckets[2];  // 0: up (to the portal), 1: down (to the client)

  mutable std::mutex mu;  // rule, rng, buckets' tokens, conns
  Rule rule;
  std::mt19937_64 rng;
  std::vector<std::unique_ptr<Conn>> conns;

  std::atomic<std::uint64_t> connections{0}, bytes_up{0}, bytes_down{0};
  std::array<std::atomic<std::uint64_t>, kFaultKinds> faults{};

  std::thread acceptor;
  std::atomic<bool> stopped{false};

  ~Impl() {
    close_fd(listen_fd);
    close_fd(stop_fd);
  }

  FaultSpec decide() {
    std::lock_guard lock(mu);
    switch (rule.when) {
      case Rule::When::never:
        return {};
      case Rule::When::always:
        return rule.spec;
      case Rule::When::next:
        if (rule.remaining <= 0) return {};
        --rule.remaining;
        return rule.spec;
      case Rule::When::random:
        if (std::uniform_real_distribution<double>(0.0, 1.0)(rng) < rule.probability) {
          return rule.spec;
        }
        return {};
    }
    return {};
  }

  // How many of `want` bytes may leave now; 0 with `wait` set when none may yet.
  std::size_t take(int dir, std::size_t want, TimePoint now, TimePoint &wake_at) {
    Bucket &b = buckets[dir];
    const std::uint64_t rate = b.rate.load();
    if (rate == 0) return want;
    std::lock_guard lock(mu);
    const double cap = Bucket::capacity(rate);
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) {
      b.tokens = std::min(cap, b.tokens + static_cast<double>(rate) * elapsed);
      b.last = now;
    }
    // Wait for a quarter of the bucket (or the whole chunk, if smaller) rather than
    // trickle single bytes.
    const double quantum = std::min(static_cast<double>(want), std::max(1.0, cap / 4.0));
    if (b.tokens < quantum) {
      const double seconds = (quantum - b.tokens) / static_cast<double>(rate);
      wake_at = now + std::chrono::duration_cast<SteadyClock::duration>(
                          std::chrono::duration<double>(seconds));
      return 0;
    }
    const auto granted = std::min(want, static_cast<std::size_t>(b.tokens));
    b.tokens -= static_cast<double>(granted);
    return granted;
  }

  void give_back(int dir, std::size_t n) {
    if (n == 0 || buckets[dir].rate.load() == 0) return;
    std::lock_guard lock(mu);
    buckets[dir].tokens += static_cast<double>(n);
  }

  void accept_loop();
  void serve(int client, FaultSpec fault, int kill_fd);
  void reap();
};

namespace {

struct Chunk {
  TimePoint due;
  std::string data;
  std::size_t off = 0;
};

struct Direction {
  int index = 0;  // 0 up, 1 down
  int src = -1;   // -1: nothing to read (a self-made answer)
  int dst = -1;
  std::deque<Chunk> queue;
  std::size_t queued = 0;
  bool src_eof = false;
  bool blocked = false;  // the last send would block: wait for POLLOUT
  bool shut = false;     // dst's write side is shut (src ended and everything was sent)

  void push(TimePoint due, std::string data) {
    queued += data.size();
    queue.push_back(Chunk{due, std::move(data), 0});
  }
};

}  // namespace

void FaultProxy::Impl::reap() {
  std::vector<std::unique_ptr<Conn>> done;
  {
    std::lock_guard lock(mu);
    for (auto it = conns.begin(); it != conns.end();) {
      if ((*it)->finished.load()) {
        done.push_back(std::move(*it));
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }
  done.clear();  // joins: each has finished, or is returning
}

void FaultProxy::Impl::accept_loop() {
  for (;;) {
    pollfd p[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents != 0) return;
    if ((p[0].revents & POLLIN) == 0) continue;
    int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) continue;
    connections.fetch_add(1);
    const FaultSpec fault = decide();
    if (fault.kind != Fault::none) faults[static_cast<std::size_t>(fault.kind)].fetch_add(1);
    reap();
    if (fault.kind == Fault::refuse) {
      close_fd(client);
      continue;
    }
    auto conn = std::make_unique<Conn>();
    conn->kill_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (conn->kill_fd < 0) {
      close_fd(client);
      continue;
    }
    Conn *c = conn.get();
    std::lock_guard lock(mu);
    try {
      c->thread = std::thread([this, c, client, fault] {
        serve(client, fault, c->kill_fd);
        c->finished.store(true);
      });
    } catch (const std::system_error &) {
      close_fd(client);
      continue;
    }
    conns.push_back(std::move(conn));
  }
}

void FaultProxy::Impl::serve(int client, FaultSpec fault, int kill_fd) {
  int upstream_fd = -1;
  const bool self_answer = fault.kind == Fault::error_500 || fault.kind == Fault::malformed_json;
  if (!self_answer) {
    upstream_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(upstream.load());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Loopback: connect answers at once (accepted or refused), no need to poll it.
    if (upstream_fd < 0 ||
        ::connect(upstream_fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
      close_fd(upstream_fd);
      close_fd(client);
      return;
    }
    ::fcntl(upstream_fd, F_SETFL, O_NONBLOCK);
  }

  Direction up, down;
  up.index = 0;
  up.src = client;
  up.dst = upstream_fd;
  down.index = 1;
  down.src = upstream_fd;
  down.dst = client;

  // The response's fault.
  std::uint64_t sent_down = 0;
  std::optional<std::uint64_t> limit;  // cut, stall: sent bytes; truncate: once the head is in
  if (fault.kind == Fault::cut || fault.kind == Fault::stall) limit = fault.after_bytes;
  std::string head;  // truncate: the response head until its blank line
  bool head_done = false;
  bool stalled = false;
  TimePoint next_drip{};
  const auto drip_every = std::chrono::milliseconds(std::max(1, fault.drip_interval_ms));
  // Self-made answers.
  std::string request;
  bool continued = false, answered = false;
  std::optional<TimePoint> close_by;  // after the response is complete

  auto latency = [&] { return std::chrono::milliseconds(latency_ms.load()); };

  auto on_request_bytes = [&](TimePoint now) {
    if (answered) return;
    const std::size_t end = request.find("\r\n\r\n");
    if (end == std::string::npos && request.size() < kMaxRequestBytes) return;
    const std::string lowered = lower(request.substr(0, end));
    const std::size_t body_at = end == std::string::npos ? request.size() : end + 4;
    const std::size_t have = request.size() - body_at;
    bool complete = false;
    if (const auto te = header_value(lowered, "transfer-encoding:");
        te && te->find("chunked") != std::string::npos) {
      complete = request.compare(body_at, 5, "0\r\n\r\n") == 0 ||
                 request.find("\r\n0\r\n\r\n", body_at) != std::string::npos;
    } else {
      complete = have >= content_length(lowered).value_or(0);
    }
    if (request.size() >= kMaxRequestBytes) complete = true;
    // libcurl waits (a second) for "100 Continue" before a large body: say it at once.
    if (!complete && !continued) {
      const auto expect = header_value(lowered, "expect:");
      if (expect && expect->find("100-continue") != std::string::npos) {
        down.push(now + 2 * latency(), "HTTP/1.1 100 Continue\r\n\r\n");
        continued = true;
      }
    }
    if (!complete) return;
    answered = true;
    std::string text;
    if (fault.kind == Fault::error_500) {
      text = answer("HTTP/1.1 500 Internal Server Error",
                    R"({"error":"internal","message":"fault proxy: an injected 500"})");
    } else {
      text = answer("HTTP/1.1 200 OK", fault.body.empty() ? std::string(kBrokenPage) : fault.body);
    }
    // The request's way there and the answer's way back.
    down.push(now + 2 * latency(), std::move(text));
    down.src_eof = true;
  };

  auto on_read = [&](Direction &d, std::string data, TimePoint now) {
    if (d.index == 0) {
      bytes_up.fetch_add(data.size());
      if (self_answer) {
        request += data;
        on_request_bytes(now);
        return;
      }
    } else if (fault.kind == Fault::truncate && !head_done) {
      head += data;
      const std::size_t end = head.find("\r\n\r\n");
      if (end != std::string::npos) {
        head_done = true;
        const std::uint64_t body_from = end + 4;
        std::uint64_t keep = fault.after_bytes;
        if (keep == 0)
          keep = std::max<std::uint64_t>(
              1, content_length(lower(head.substr(0, end))).value_or(2) / 2);
        limit = body_from + keep;
      }
    }
    d.push(now + latency(), std::move(data));
  };

  // Sends what is due; false when the connection is over (an error, or a cut).
  auto pump = [&](Direction &d, TimePoint now, std::optional<TimePoint> &wake) -> bool {
    auto wake_at = [&](TimePoint t) {
      if (!wake || t < *wake) wake = t;
    };
    while (!d.queue.empty() && !d.blocked) {
      Chunk &c = d.queue.front();
      if (c.due > now) {
        wake_at(c.due);
        return true;
      }
      std::size_t n = c.data.size() - c.off;
      if (d.index == 1) {
        if (stalled) return true;
        if (limit && sent_down >= *limit) {
          if (fault.kind == Fault::stall) {
            stalled = true;
            return true;
          }
          return false;  // cut, truncate: close both sides now
        }
        if (limit) n = std::min<std::size_t>(n, static_cast<std::size_t>(*limit - sent_down));
        if (fault.kind == Fault::drip) {
          if (now < next_drip) {
            wake_at(next_drip);
            return true;
          }
          n = 1;
        }
      }
      TimePoint tokens_at{};
      const std::size_t granted = take(d.index, n, now, tokens_at);
      if (granted == 0) {
        wake_at(tokens_at);
        return true;
      }
      const ssize_t w = ::send(d.dst, c.data.data() + c.off, granted, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0) {
        give_back(d.index, granted);
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          d.blocked = true;
          return true;
        }
        if (errno == EINTR) continue;
        return false;
      }
      const auto sent = static_cast<std::size_t>(w);
      give_back(d.index, granted - sent);
      c.off += sent;
      d.queued -= sent;
      if (d.index == 1) {
        sent_down += sent;
        bytes_down.fetch_add(sent);
        if (fault.kind == Fault::drip) next_drip = now + drip_every;
      }
      if (c.off == c.data.size()) d.queue.pop_front();
    }
    if (d.index == 1 && limit && sent_down >= *limit && !d.queue.empty()) {
      if (fault.kind == Fault::stall) {
        stalled = true;
        return true;
      }
      return false;
    }
    return true;
  };

  std::vector<char> buf(kReadBytes);
  for (;;) {
    const TimePoint now = SteadyClock::now();
    std::optional<TimePoint> wake;
    if (!pump(up, now, wake) || !pump(down, now, wake)) break;
    if (up.src_eof && up.queue.empty() && !up.shut && up.dst >= 0) {
      ::shutdown(up.dst, SHUT_WR);
      up.shut = true;
    }
    if (down.src_eof && down.queue.empty() && !down.shut) {
      ::shutdown(down.dst, SHUT_WR);
      down.shut = true;
      close_by = now + kCloseGrace;
    }
    // Over when the client is gone and has its whole answer, or has left a stall.
    if (up.src_eof && (down.shut || stalled)) break;
    if (close_by) {
      if (now >= *close_by) break;
      if (!wake || *close_by < *wake) wake = close_by;
    }

    pollfd p[4] = {{kill_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}, {client, 0, 0}, {upstream_fd, 0, 0}};
    if (!up.src_eof && up.queued < kMaxQueued) p[2].events |= POLLIN;
    if (down.blocked) p[2].events |= POLLOUT;
    if (upstream_fd >= 0) {
      if (!down.src_eof && down.queued < kMaxQueued && !stalled) p[3].events |= POLLIN;
      if (up.blocked) p[3].events |= POLLOUT;
    }
    // No events asked: poll would still report a hang-up, again and again.
    if (p[2].events == 0) p[2].fd = -1;
    if (p[3].events == 0) p[3].fd = -1;
    int timeout = -1;
    if (wake) {
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
      timeout = static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
    }
    if (::poll(p, 4, timeout) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents != 0 || p[1].revents != 0) break;
    if (p[2].revents & POLLOUT) down.blocked = false;
    if (p[3].revents & POLLOUT) up.blocked = false;
    bool failed = false;
    const TimePoint read_at = SteadyClock::now();
    for (Direction *d : {&up, &down}) {
      const pollfd &pf = d->index == 0 ? p[2] : p[3];
      if (pf.fd < 0 || (pf.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if ((pf.events & POLLIN) == 0) {
        if (pf.revents & POLLERR) failed = true;
        continue;
      }
      const ssize_t r = ::recv(d->src, buf.data(), buf.size(), MSG_DONTWAIT);
      if (r > 0) {
        on_read(*d, std::string(buf.data(), static_cast<std::size_t>(r)), read_at);
      } else if (r == 0) {
        d->src_eof = true;
      } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        failed = true;
      }
    }
    if (failed) break;
  }
  close_fd(upstream_fd);
  close_fd(client);
}

std::string_view to_string(Fault fault) {
  switch (fault) {
    case Fault::none:
      return "none";
    case Fault::cut:
      return "cut";
    case Fault::truncate:
      return "truncate";
    case Fault::error_500:
      return "error_500";
    case Fault::drip:
      return "drip";
    case Fault::stall:
      return "stall";
    case Fault::malformed_json:
      return "malformed_json";
    case Fault::refuse:
      return "refuse";
  }
  return "?";
}

Result<std::unique_ptr<FaultProxy>> FaultProxy::start(std::uint16_t upstream_port,
                                                      std::uint64_t seed) {
  auto impl = std::make_unique<Impl>();
  impl->upstream = upstream_port;
  impl->rng.seed(seed);
  impl->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->stop_fd < 0) return make_error("proxy_unusable", errno_text("eventfd"));
  impl->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (impl->listen_fd < 0) return make_error("proxy_unusable", errno_text("socket"));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(impl->listen_fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
    return make_error("proxy_unusable", errno_text("bind"));
  }
  if (::listen(impl->listen_fd, 128) != 0)
    return make_error("proxy_unusable", errno_text("listen"));
  socklen_t len = sizeof addr;
  if (::getsockname(impl->listen_fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    return make_error("proxy_unusable", errno_text("getsockname"));
  }
  impl->port = ntohs(addr.sin_port);
  Impl *raw = impl.get();
  try {
    impl->acceptor = std::thread([raw] { raw->accept_loop(); });
  } catch (const std::system_error &e) {
    return make_error("proxy_unusable", std::string("thread: ") + e.what());
  }
  return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
}

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FaultProxy::~FaultProxy() {
  stop();
}

std::uint16_t FaultProxy::port() const {
  return impl_->port;
}

std::string FaultProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void FaultProxy::set_upstream(std::uint16_t port) {
  impl_->upstream = port;
}

void FaultProxy::set_latency(std::chrono::milliseconds one_way) {
  impl_->latency_ms = std::max<std::int64_t>(0, one_way.count());
}

void FaultProxy::set_rate(std::uint64_t up_bytes_per_s, std::uint64_t down_bytes_per_s) {
  std::lock_guard lock(impl_->mu);
  const TimePoint now = SteadyClock::now();
  const std::uint64_t rates[2] = {up_bytes_per_s, down_bytes_per_s};
  for (int i = 0; i < 2; ++i) {
    Bucket &b = impl_->buckets[i];
    b.rate = rates[i];
    // A full bucket to start with: a burst of 20 ms, as after an idle link.
    b.tokens = rates[i] == 0 ? 0.0 : Bucket::capacity(rates[i]);
    b.last = now;
  }
}

void FaultProxy::fault_always(FaultSpec spec) {
  std::lock_guard lock(impl_->mu);
  impl_->rule = Rule{Rule::When::always, 0, 0, std::move(spec)};
}

void FaultProxy::fault_next(int connections, FaultSpec spec) {
  std::lock_guard lock(impl_->mu);
  impl_->rule = Rule{Rule::When::next, connections, 0, std::move(spec)};
}

void FaultProxy::fault_random(double probability, FaultSpec spec) {
  std::lock_guard lock(impl_->mu);
  impl_->rule = Rule{Rule::When::random, 0, probability, std::move(spec)};
}

void FaultProxy::clear_faults() {
  std::lock_guard lock(impl_->mu);
  impl_->rule = Rule{};
}

void FaultProxy::drop_connections() {
  std::lock_guard lock(impl_->mu);
  for (const auto &c : impl_->conns) {
    if (!c->finished.load()) ::eventfd_write(c->kill_fd, 1);
  }
}

ProxyCounters FaultProxy::counters() const {
  ProxyCounters c;
  c.connections = impl_->connections.load();
  c.bytes_up = impl_->bytes_up.load();
  c.bytes_down = impl_->bytes_down.load();
  for (std::size_t i = 0; i < kFaultKinds; ++i) c.faults[i] = impl_->faults[i].load();
  return c;
}

void FaultProxy::reset_counters() {
  impl_->connections = 0;
  impl_->bytes_up = 0;
  impl_->bytes_down = 0;
  for (auto &f : impl_->faults) f = 0;
}

std::size_t FaultProxy::open_connections() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<std::size_t>(
      std::count_if(impl_->conns.begin(), impl_->conns.end(),
                    [](const std::unique_ptr<Conn> &c) { return !c->finished.load(); }));
}

void FaultProxy::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  ::eventfd_write(impl_->stop_fd, 1);
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  std::vector<std::unique_ptr<Conn>> conns;
  {
    std::lock_guard lock(impl_->mu);
    conns.swap(impl_->conns);
  }
  conns.clear();  // every connection thread saw stop_fd: joins
  close_fd(impl_->listen_fd);
}

}  // namespace comptoir::test
