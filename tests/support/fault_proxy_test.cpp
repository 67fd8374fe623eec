// The fault proxy against a tiny cpp-httplib server on loopback: each fault as a client
// meets it (byte-exact through a raw socket, and through an HTTP client), the rate cap and
// the latency measured, random faults repeatable by seed, and stop() prompt with
// connections stalled open.
#include "tests/support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace comptoir::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::string pattern(std::size_t n) {
  std::string s(n, 'a');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// GET /bytes?n=N: N bytes of text. POST /echo: the body's size. GET /json: a valid object.
class TestServer {
 public:
  TestServer() {
    server_.Get("/bytes", [this](const httplib::Request &req, httplib::Response &res) {
      requests_.fetch_add(1);
      res.set_content(pattern(std::stoul(req.get_param_value("n"))), "text/plain");
    });
    server_.Post("/echo", [this](const httplib::Request &req, httplib::Response &res) {
      requests_.fetch_add(1);
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server_.Get("/json", [this](const httplib::Request &, httplib::Response &res) {
      requests_.fetch_add(1);
      res.set_content(R"({"cursor":"s1","more":false})", "application/json");
    });
    const int port = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    port_ = static_cast<std::uint16_t>(port);
    // Bound and listening already: clients may connect before the thread accepts.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TestServer() {
    server_.stop();
    thread_.join();
  }
  TestServer(const TestServer &) = delete;
  TestServer &operator=(const TestServer &) = delete;
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

struct Fixture {
  TestServer server;
  std::unique_ptr<FaultProxy> proxy;
  Fixture() {
    auto p = FaultProxy::start(server.port(), 7);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? std::string() : p.error().detail));
    proxy = std::move(p).value();
  }
  httplib::Client client(std::chrono::seconds read_timeout = 5s) const {
    httplib::Client c("127.0.0.1", proxy->port());
    c.set_read_timeout(read_timeout);
    c.set_connection_timeout(2s);
    return c;
  }
};

// A client on a plain socket, to see exactly which bytes came and whether the proxy closed.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) == 0);
  }
  ~RawClient() { close(); }
  RawClient(const RawClient &) = delete;
  RawClient &operator=(const RawClient &) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads until the peer closes (true) or nothing came for `idle` (false).
  bool read(std::chrono::milliseconds idle) {
    char buf[4096];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(idle.count()));
      REQUIRE(r >= 0);
      if (r == 0) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return true;  // closed, or reset
      data.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Reads until `text` has come (true) or the deadline passed.
  bool read_until(std::string_view wanted, std::chrono::milliseconds deadline) {
    const auto end = SteadyClock::now() + deadline;
    char buf[4096];
    while (data.find(wanted) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      data.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::string data;

 private:
  int fd_ = -1;
};

std::string get_request(const std::string &target) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
}

std::size_t head_length(const std::string &response) {
  const std::size_t end = response.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  return end + 4;
}

// Polls `condition` until it holds or 5 s have passed.
template <typename F>
bool eventually(F condition) {
  const auto end = SteadyClock::now() + 5s;
  while (!condition()) {
    if (SteadyClock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("without faults it forwards both ways and counts the bytes on the wire") {
  Fixture f;
  auto c = f.client();
  auto res = c.Get("/bytes?n=100000");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == pattern(100000));
  const std::string body = pattern(30000);
  auto posted = c.Post("/echo", body, "application/octet-stream");
  REQUIRE(posted);
  CHECK(posted->body == "30000");
  const ProxyCounters n = f.proxy->counters();
  CHECK(n.connections >= 1);
  CHECK(n.bytes_down > 100000 + 5);  // body and headers
  CHECK(n.bytes_down < 100000 + 5 + 1000);
  CHECK(n.bytes_up > 30000);
  CHECK(n.bytes_up < 30000 + 1000);
  for (std::size_t k = 0; k < kFaultKinds; ++k) CHECK(n.faults[k] == 0);
}

TEST_CASE("cut: the client gets exactly N bytes of the response, then the connection closes") {
  Fixture f;
  f.proxy->fault_next(1, FaultSpec::of(Fault::cut, 1000));
  RawClient raw(f.proxy->port());
  raw.send(get_request("/bytes?n=50000"));
  CHECK(raw.read(3s));  // closed, not idle
  CHECK(raw.data.size() == 1000);
  CHECK(raw.data.starts_with("HTTP/1.1 200"));
  // Only the next connection: the one after goes through whole.
  auto c = f.client();
  auto res = c.Get("/bytes?n=50000");
  REQUIRE(res);
  CHECK(res->body.size() == 50000);
  CHECK(f.proxy->counters().faults_of(Fault::cut) == 1);
  CHECK(f.proxy->counters().connections == 2);
}

TEST_CASE("truncate: the headers and half the body arrive, then the connection closes") {
  Fixture f;
  f.proxy->fault_always(FaultSpec::of(Fault::truncate));
  RawClient raw(f.proxy->port());
  raw.send(get_request("/bytes?n=40000"));
  CHECK(raw.read(3s));
  const std::size_t head = head_length(raw.data);
  CHECK(raw.data.find("Content-Length: 40000") < head);
  CHECK(raw.data.size() == head + 20000);
  CHECK(raw.data.substr(head) == pattern(20000));
  // An HTTP client sees a failed transfer, not a short success.
  auto c = f.client();
  auto res = c.Get("/bytes?n=40000");
  CHECK_FALSE(res);
  // A set number of body bytes.
  f.proxy->fault_always(FaultSpec::of(Fault::truncate, 123));
  RawClient raw2(f.proxy->port());
  raw2.send(get_request("/bytes?n=40000"));
  CHECK(raw2.read(3s));
  CHECK(raw2.data.size() == head_length(raw2.data) + 123);
  CHECK(f.proxy->counters().faults_of(Fault::truncate) == 3);
}

TEST_CASE("error_500: the proxy reads the whole request and answers 500 itself") {
  Fixture f;
  f.proxy->fault_always(FaultSpec::of(Fault::error_500));
  auto c = f.client();
  auto res = c.Post("/echo", pattern(200000), "application/octet-stream");
  REQUIRE(res);
  CHECK(res->status == 500);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  const auto j = nlohmann::json::parse(res->body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["error"] == "internal");
  // A client that waits for "100 Continue" (libcurl does, for large bodies) gets it at once.
  RawClient raw(f.proxy->port());
  raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
  const auto asked = SteadyClock::now();
  REQUIRE(raw.read_until("HTTP/1.1 100 Continue\r\n\r\n", 2s));
  CHECK(seconds_since(asked) < 0.5);
  raw.send("0123456789");
  CHECK(raw.read(3s));
  CHECK(raw.data.find("HTTP/1.1 500") != std::string::npos);
  CHECK(f.server.requests() == 0);  // the portal never saw them
  CHECK(f.proxy->counters().faults_of(Fault::error_500) == 2);
  CHECK(f.proxy->counters().bytes_up > 200000);
}

TEST_CASE("drip: the whole response arrives, one byte every interval") {
  Fixture f;
  f.proxy->fault_always(FaultSpec::drip(4));
  auto c = f.client();
  const auto t = SteadyClock::now();
  auto res = c.Get("/bytes?n=40");
  const double took = seconds_since(t);
  REQUIRE(res);
  CHECK(res->body == pattern(40));
  const auto bytes = f.proxy->counters().bytes_down;
  MESSAGE("drip: " << bytes << " bytes in " << took << " s");
  CHECK(took >= static_cast<double>(bytes - 1) * 0.004 * 0.95);
  CHECK(took < static_cast<double>(bytes) * 0.004 * 3 + 1.0);
}

TEST_CASE("stall: N bytes, then nothing, with the socket left open until the client leaves") {
  Fixture f;
  f.proxy->fault_always(FaultSpec::of(Fault::stall, 20));
  RawClient raw(f.proxy->port());
  raw.send(get_request("/bytes?n=5000"));
  CHECK_FALSE(raw.read(400ms));  // nothing more came, and it was not closed
  CHECK(raw.data.size() == 20);
  CHECK(f.proxy->open_connections() == 1);
  raw.close();
  CHECK(eventually([&] { return f.proxy->open_connections() == 0; }));
  // An HTTP client gives up on its read timeout.
  auto c = f.client(1s);
  const auto t = SteadyClock::now();
  CHECK_FALSE(c.Get("/bytes?n=5000"));
  CHECK(seconds_since(t) >= 0.9);
}

TEST_CASE("malformed_json: a 200 application/json answer whose body does not parse") {
  Fixture f;
  f.proxy->fault_next(1, FaultSpec::of(Fault::malformed_json));
  auto c = f.client();
  auto res = c.Get("/json");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  CHECK(res->body.starts_with(R"({"cursor":)"));
  CHECK_FALSE(nlohmann::json::accept(res->body));
  // A body of the test's choosing.
  f.proxy->fault_next(1, FaultSpec::malformed(R"({"acks":[{"uuid":)"));
  auto chosen = c.Get("/json");
  REQUIRE(chosen);
  CHECK(chosen->body == R"({"acks":[{"uuid":)");
  CHECK(f.server.requests() == 0);
  // Then the real thing again.
  auto real = c.Get("/json");
  REQUIRE(real);
  CHECK(nlohmann::json::accept(real->body));
  CHECK(f.server.requests() == 1);
  CHECK(f.proxy->counters().faults_of(Fault::malformed_json) == 2);
}

TEST_CASE("refuse: accepted and closed at once, nothing forwarded") {
  Fixture f;
  f.proxy->fault_always(FaultSpec::of(Fault::refuse));
  RawClient raw(f.proxy->port());
  raw.send(get_request("/bytes?n=10"));
  CHECK(raw.read(3s));
  CHECK(raw.data.empty());
  auto c = f.client();
  CHECK_FALSE(c.Get("/bytes?n=10"));
  CHECK(f.server.requests() == 0);
  CHECK(f.proxy->counters().faults_of(Fault::refuse) == 2);
  f.proxy->clear_faults();
  CHECK(c.Get("/bytes?n=10"));
}

TEST_CASE("random faults follow the probability, and the same seed gives the same ones") {
  TestServer server;
  auto run = [&](std::uint64_t seed) {
    auto p = FaultProxy::start(server.port(), seed);
    REQUIRE(p.ok());
    (*p)->fault_random(0.3, FaultSpec::of(Fault::refuse));
    std::string pattern_seen;
    httplib::Client c("127.0.0.1", (*p)->port());
    c.set_read_timeout(2s);
    for (int i = 0; i < 60; ++i) pattern_seen += c.Get("/bytes?n=1") ? '.' : 'x';
    CHECK((*p)->counters().faults_of(Fault::refuse) ==
          static_cast<std::uint64_t>(std::count(pattern_seen.begin(), pattern_seen.end(), 'x')));
    return pattern_seen;
  };
  const std::string a = run(42), b = run(42), other = run(43);
  MESSAGE("seed 42: " << a);
  CHECK(a == b);
  CHECK(a != other);
  const auto refused = std::count(a.begin(), a.end(), 'x');
  CHECK(refused >= 8);  // 18 expected; the binomial's 1-in-1000 tails are 8 and 29
  CHECK(refused <= 29);
}

TEST_CASE("the rate cap holds each direction to its bytes a second (32 kbit/s and faster)") {
  Fixture f;
  auto measure_down = [&](std::uint64_t rate, std::size_t body) {
    f.proxy->set_rate(0, rate);
    f.proxy->reset_counters();
    auto c = f.client(10s);
    const auto t = SteadyClock::now();
    auto res = c.Get(("/bytes?n=" + std::to_string(body)).c_str());
    const double took = seconds_since(t);
    REQUIRE(res);
    CHECK(res->body.size() == body);
    return static_cast<double>(f.proxy->counters().bytes_down) / took;
  };
  auto measure_up = [&](std::uint64_t rate, std::size_t body) {
    f.proxy->set_rate(rate, 0);
    f.proxy->reset_counters();
    auto c = f.client(10s);
    const auto t = SteadyClock::now();
    auto res = c.Post("/echo", pattern(body), "application/octet-stream");
    const double took = seconds_since(t);
    REQUIRE(res);
    CHECK(res->body == std::to_string(body));
    return static_cast<double>(f.proxy->counters().bytes_up) / took;
  };
  const double down_slow = measure_down(4000, 8000);
  const double up_slow = measure_up(4000, 8000);
  const double down_fast = measure_down(250'000, 500'000);
  MESSAGE("down at 4000 B/s: " << down_slow << " B/s; up at 4000 B/s: " << up_slow
                               << " B/s; down at 250000 B/s: " << down_fast << " B/s");
  CHECK(down_slow == doctest::Approx(4000).epsilon(0.15));
  CHECK(up_slow == doctest::Approx(4000).epsilon(0.15));
  CHECK(down_fast == doctest::Approx(250'000).epsilon(0.15));
  // And off again.
  f.proxy->set_rate(0);
  const auto t = SteadyClock::now();
  auto c = f.client();
  CHECK(c.Get("/bytes?n=500000"));
  CHECK(seconds_since(t) < 1.0);
}

TEST_CASE("latency is added each way: a request's round trip grows by twice it") {
  Fixture f;
  auto round_trip = [&] {
    RawClient raw(f.proxy->port());
    const auto t = SteadyClock::now();
    raw.send(get_request("/bytes?n=10"));
    REQUIRE(raw.read_until("abcdefghij", 5s));
    return seconds_since(t);
  };
  const double base = round_trip();
  f.proxy->set_latency(150ms);
  const double slow = round_trip();
  f.proxy->set_latency(0ms);
  const double back = round_trip();
  MESSAGE("round trip: " << base * 1000 << " ms, with 150 ms each way " << slow * 1000
                         << " ms, without again " << back * 1000 << " ms");
  CHECK(slow >= 0.300);
  CHECK(slow < 0.300 + 0.150);
  CHECK(base < 0.100);
  CHECK(back < 0.100);
}

TEST_CASE("drop_connections cuts open connections, and stop() closes everything promptly") {
  Fixture f;
  f.proxy->fault_always(FaultSpec::of(Fault::stall, 0));
  RawClient a(f.proxy->port()), b(f.proxy->port());
  a.send(get_request("/bytes?n=100"));
  b.send(get_request("/bytes?n=100"));
  CHECK(eventually([&] { return f.proxy->open_connections() == 2; }));
  f.proxy->drop_connections();
  CHECK(a.read(3s));  // closed by the proxy
  CHECK(a.data.empty());
  CHECK(eventually([&] { return f.proxy->open_connections() == 0; }));
  // Two stalled and one dripping, then stop.
  f.proxy->set_latency(1000ms);
  RawClient c(f.proxy->port()), d(f.proxy->port());
  c.send(get_request("/bytes?n=100"));
  d.send(get_request("/bytes?n=100"));
  f.proxy->fault_always(FaultSpec::drip(500));
  RawClient e(f.proxy->port());
  e.send(get_request("/bytes?n=100"));
  CHECK(eventually([&] { return f.proxy->open_connections() == 3; }));
  const auto t = SteadyClock::now();
  f.proxy->stop();
  CHECK(seconds_since(t) < 0.5);
  CHECK(c.read(3s));
  CHECK(e.read(3s));
  // A stopped proxy accepts nothing.
  httplib::Client after("127.0.0.1", f.proxy->port());
  after.set_connection_timeout(1s);
  CHECK_FALSE(after.Get("/bytes?n=1"));
  f.proxy->stop();  // twice is fine
}

}  // namespace comptoir::test
