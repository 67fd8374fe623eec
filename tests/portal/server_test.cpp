// The portal's server over loopback with cpp-httplib's client: enrolment, request signing
// (no header, unknown device, wrong key, changed target or body: 401), the clock skew
// answer, revoked devices (403), gzip both ways, the protocol's error bodies (400, 404, 410,
// 413), TLS with a certificate made by the test, the request log, and a full pull's speed.
#include "portal/server.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "portal/store.hpp"
#include "sync/device_auth.hpp"
#include "sync/wire.hpp"
#include "tests/portal/portal_fixture.hpp"
#include "tests/support/subprocess.hpp"

namespace comptoir::test {
namespace {

std::string gzip(const std::string &in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string gunzip(const std::string &in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 31) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef *>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

// Sends `request` on a plain TCP connection and reads until the server closes it (or 10 s).
std::string raw_exchange(int port, const std::string &request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

// A portal with its server on 127.0.0.1 (a port of its own), its clock the fixture's, its
// log lines kept; and one enrolled device with its key.
struct Live {
  // In this order: the server, declared last, stops first, before what its threads use.
  PortalFixture f;
  std::mutex log_mutex;
  std::vector<std::string> log;
  codes::KeyPair key;
  portal::Device device;
  std::unique_ptr<portal::Store> server_store;
  std::unique_ptr<portal::Server> server;

  explicit Live(portal::ServerOptions options = {}) {
    device = f.enrol({1}, "caisse-1", &key);
    auto opened = portal::Store::open(f.dir.path().string());
    REQUIRE(opened.ok());
    server_store = std::move(*opened);
    options.now_ms = [this] { return f.now_ms; };
    options.log = [this](const std::string &line) {
      std::lock_guard lock(log_mutex);
      log.push_back(line);
    };
    auto started = portal::Server::start(*server_store, options);
    REQUIRE_MESSAGE(started.ok(), (started.ok() ? std::string() : started.error().detail));
    server = std::move(*started);
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(30, 0);
    return c;
  }

  std::string auth(const std::string &method, const std::string &target,
                   const std::string &body = {}, std::int64_t ts = -1) const {
    return wire::sign_request(key.secret_key, device.id, method, target, ts < 0 ? f.now_ms : ts,
                              body);
  }

  httplib::Result get(const std::string &target, httplib::Headers extra = {}) {
    extra.emplace("Authorization", auth("GET", target));
    return client().Get(target, extra);
  }

  httplib::Result post_events(const std::string &body, bool compressed = true) {
    httplib::Headers headers{{"Authorization", auth("POST", "/api/v1/events", body)}};
    if (compressed) headers.emplace("Content-Encoding", "gzip");
    return client().Post("/api/v1/events", headers, compressed ? gzip(body) : body,
                         "application/json");
  }

  bool logged(const std::string &needle) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(log_mutex);
        for (const auto &line : log) {
          if (line.find(needle) != std::string::npos) return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
};

wire::ErrorBody error_of(const httplib::Result &r) {
  REQUIRE(r);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  auto body = wire::parse_error_body(r->body);
  REQUIRE_MESSAGE(body.ok(), r->body);
  return *body;
}

TEST_CASE("enrolment over HTTP: a code works once, unknown and malformed ones are refused") {
  Live live;
  auto code = live.f.store->make_enrolment_code({1}, live.f.now_ms);
  REQUIRE(code.ok());
  const codes::KeyPair key = codes::generate_key_pair();
  const std::string body =
      wire::to_json(wire::EnrolRequest{portal::format_enrolment_code(*code), key.public_key, "k"});
  auto first = live.client().Post("/api/v1/enrol", body, "application/json");
  REQUIRE(first);
  CHECK(first->status == 200);
  auto answer = wire::parse_enrol_response(first->body);
  REQUIRE_MESSAGE(answer.ok(), first->body);
  CHECK(answer->device_id == "dev-2");
  CHECK(answer->portal_time_ms == live.f.now_ms);
  CHECK(live.logged("POST /api/v1/enrol 200 dev-2 "));

  // The same key again (the answer was lost): the same device. Another key: used.
  auto again = live.client().Post("/api/v1/enrol", body, "application/json");
  REQUIRE(again);
  CHECK(again->status == 200);
  auto replayed = wire::parse_enrol_response(again->body);
  REQUIRE_MESSAGE(replayed.ok(), again->body);
  CHECK(replayed->device_id == "dev-2");
  const codes::KeyPair other = codes::generate_key_pair();
  auto second =
      live.client().Post("/api/v1/enrol",
                         wire::to_json(wire::EnrolRequest{portal::format_enrolment_code(*code),
                                                          other.public_key, "k"}),
                         "application/json");
  REQUIRE(second);
  CHECK(second->status == 409);
  CHECK(error_of(second).error == "code_used");

  const std::string unknown =
      wire::to_json(wire::EnrolRequest{"ZZZZ-ZZZZ-ZZZZ", key.public_key, "k"});
  auto third = live.client().Post("/api/v1/enrol", unknown, "application/json");
  REQUIRE(third);
  CHECK(third->status == 404);
  CHECK(error_of(third).error == "not_found");

  auto bad = live.client().Post("/api/v1/enrol", "{\"code\": 12", "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(error_of(bad).error == "bad_request");
}

TEST_CASE("every request but enrolment must be signed by an enrolled device's key") {
  Live live;
  const std::string target = "/api/v1/changes?cursor=&limit=10";
  auto ok = live.get(target);
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(wire::parse_changes_page(ok->body).ok());

  auto none = live.client().Get(target);
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(error_of(none).error == "unauthenticated");

  // Signed by another key.
  const codes::KeyPair stranger = codes::generate_key_pair();
  auto forged = live.client().Get(
      target, {{"Authorization", wire::sign_request(stranger.secret_key, live.device.id, "GET",
                                                    target, live.f.now_ms, "")}});
  REQUIRE(forged);
  CHECK(forged->status == 401);
  CHECK(error_of(forged).error == "unauthenticated");

  // A device the portal does not know.
  auto unknown = live.client().Get(
      target, {{"Authorization", wire::sign_request(live.key.secret_key, "dev-77", "GET", target,
                                                    live.f.now_ms, "")}});
  REQUIRE(unknown);
  CHECK(unknown->status == 401);

  // Signed for another target: the query is part of what is signed.
  auto moved = live.client().Get("/api/v1/changes?cursor=&limit=20",
                                 {{"Authorization", live.auth("GET", target)}});
  REQUIRE(moved);
  CHECK(moved->status == 401);

  // A body changed after signing.
  const std::string events =
      wire::to_json(wire::PushRequest{{handover(1, 100001, wire::EventKind::full, live.f.now_ms)}});
  std::string changed = events;
  changed.replace(changed.find("100001"), 6, "100002");
  auto tampered = live.client().Post(
      "/api/v1/events", {{"Authorization", live.auth("POST", "/api/v1/events", events)}}, changed,
      "application/json");
  REQUIRE(tampered);
  CHECK(tampered->status == 401);

  auto garbage = live.client().Get(target, {{"Authorization", "Bearer 12345"}});
  REQUIRE(garbage);
  CHECK(garbage->status == 401);
  CHECK(live.logged("GET /api/v1/changes 401 dev-77 "));
}

TEST_CASE("a clock more than 5 minutes off gets clock_skew and the portal's time") {
  Live live;
  const std::string target = "/api/v1/changes";
  for (const std::int64_t off : {-6 * 60'000, 6 * 60'000}) {
    CAPTURE(off);
    auto r = live.client().Get(
        target, {{"Authorization", live.auth("GET", target, "", live.f.now_ms + off)}});
    REQUIRE(r);
    CHECK(r->status == 401);
    const auto body = error_of(r);
    CHECK(body.error == "clock_skew");
    CHECK(body.portal_time_ms == live.f.now_ms);
  }
  // Within the window: accepted.
  auto near = live.client().Get(
      target, {{"Authorization", live.auth("GET", target, "", live.f.now_ms - 4 * 60'000)}});
  REQUIRE(near);
  CHECK(near->status == 200);
}

TEST_CASE("a revoked device is refused with 403") {
  Live live;
  REQUIRE(live.f.store->revoke_device(live.device.id, live.f.now_ms).ok());
  auto r = live.get("/api/v1/changes");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(error_of(r).error == "device_revoked");
}

TEST_CASE("a big page travels gzip-compressed, and pushes may be gzip too") {
  Live live;
  std::vector<portal::NewOrder> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back(live.f.order(1, "Client " + std::to_string(i)));
  auto added = live.f.store->import_orders(batch, live.f.now_ms);
  REQUIRE(added.ok());

  const std::string target = "/api/v1/changes?cursor=&limit=1000";
  auto client = live.client();
  client.set_decompress(false);
  auto r = client.Get(target,
                      {{"Authorization", live.auth("GET", target)}, {"Accept-Encoding", "gzip"}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Encoding") == "gzip");
  const std::string json = gunzip(r->body);
  auto page = wire::parse_changes_page(json);
  REQUIRE_MESSAGE(page.ok(), (page.ok() ? std::string() : page.error().detail));
  CHECK(page->orders.size() == 1000);
  CHECK_FALSE(page->more);
  MESSAGE("a page of 1000 orders: "
          << json.size() << " bytes of JSON, " << r->body.size() << " bytes gzip on the wire ("
          << static_cast<double>(r->body.size()) / 1000.0 << " B an order)");
  CHECK(r->body.size() * 4 < json.size());

  auto plain = live.client().Get(target, {{"Authorization", live.auth("GET", target)}});
  REQUIRE(plain);
  CHECK(plain->get_header_value("Content-Encoding").empty());
  CHECK(plain->body == json);

  const wire::Event event = handover(1, (*added)[0].order_id, wire::EventKind::full, live.f.now_ms);
  const std::string body = wire::to_json(wire::PushRequest{{event}});
  auto pushed = live.post_events(body);
  REQUIRE(pushed);
  REQUIRE(pushed->status == 200);
  auto acks = wire::parse_push_response(pushed->body);
  REQUIRE(acks.ok());
  REQUIRE(acks->acks.size() == 1);
  CHECK_FALSE(acks->acks[0].duplicate);
  auto again = live.post_events(body, false);
  REQUIRE(again);
  CHECK(wire::parse_push_response(again->body)->acks[0].duplicate);
  CHECK(live.f.store->find_order((*added)[0].number)->status == wire::OrderStatus::collected);
  CHECK(live.logged("POST /api/v1/events 200 dev-1 "));
}

TEST_CASE("malformed requests get the protocol's error bodies") {
  Live live;
  SUBCASE("JSON that is not JSON") {
    auto r = live.post_events("{\"events\": [", false);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(error_of(r).error == "bad_request");
  }
  SUBCASE("an event that breaks the protocol's rules") {
    wire::Event e = handover(1, 100001, wire::EventKind::full, live.f.now_ms);
    std::string body = wire::to_json(wire::PushRequest{{e}});
    body.replace(body.find(e.uuid), e.uuid.size(), "not-a-uuid");
    auto r = live.post_events(body);
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(error_of(r).message.find("uuid") != std::string::npos);
  }
  SUBCASE("a gzip body that does not inflate") {
    const std::string body = "this is not gzip";
    auto r = live.client().Post("/api/v1/events",
                                {{"Authorization", live.auth("POST", "/api/v1/events", body)},
                                 {"Content-Encoding", "gzip"}},
                                body, "application/json");
    REQUIRE(r);
    CHECK(r->status == 400);
    CHECK(error_of(r).error == "bad_request");
  }
  SUBCASE("a cursor the portal never gave, a limit that is no number") {
    auto r = live.get("/api/v1/changes?cursor=s999999&limit=10");
    REQUIRE(r);
    CHECK(r->status == 410);
    CHECK(error_of(r).error == "cursor_expired");
    auto limit = live.get("/api/v1/changes?limit=many");
    REQUIRE(limit);
    CHECK(limit->status == 400);
  }
  SUBCASE("a path the protocol does not have") {
    auto r = live.client().Get("/api/v2/changes");
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(error_of(r).error == "not_found");
  }
}

TEST_CASE("a body over 16 MiB, as sent or once inflated, is too_large") {
  Live live;
  // 17 MiB of spaces inside a JSON string: 17 KiB of gzip.
  const std::string huge = "{\"events\": [], \"pad\": \"" + std::string(17u << 20, ' ') + "\"}";
  const std::string small = gzip(huge);
  CHECK(small.size() < 100'000);
  auto bomb = live.client().Post(
      "/api/v1/events",
      {{"Authorization", live.auth("POST", "/api/v1/events", huge)}, {"Content-Encoding", "gzip"}},
      small, "application/json");
  REQUIRE(bomb);
  CHECK(bomb->status == 413);
  CHECK(error_of(bomb).error == "too_large");

  // Announced too large: refused from the headers, before a byte of the body is read (a
  // raw socket, since a client still sending would see the connection close under it).
  const std::string answer =
      raw_exchange(live.server->port(),
                   "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Content-Type: "
                   "application/json\r\nContent-Length: " +
                       std::to_string(17u << 20) + "\r\n\r\n");
  CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  const auto body = answer.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  auto error = wire::parse_error_body(answer.substr(body + 4));
  REQUIRE_MESSAGE(error.ok(), answer);
  CHECK(error->error == "too_large");
}

TEST_CASE("over TLS with a certificate the test's CA signed") {
  TempDir pki;
  const std::string key = pki.file("portal.key"), cert = pki.file("portal.crt");
  const RunResult made = run({COMPTOIR_OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                              "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                              "-addext", "subjectAltName=IP:127.0.0.1"});
  INFO(made.err);
  REQUIRE(made.status.code == 0);

  portal::ServerOptions options;
  options.tls_cert = cert;
  options.tls_key = key;
  Live live(options);
  CHECK(live.server->tls());
  CHECK(live.server->url().rfind("https://127.0.0.1:", 0) == 0);
  httplib::SSLClient client("127.0.0.1", live.server->port());
  client.set_ca_cert_path(cert.c_str());
  client.enable_server_certificate_verification(true);
  const std::string target = "/api/v1/changes";
  auto r = client.Get(target, {{"Authorization", live.auth("GET", target)}});
  REQUIRE_MESSAGE(r, "TLS request failed: " << httplib::to_string(r.error()));
  CHECK(r->status == 200);

  // A certificate and key that do not load.
  portal::ServerOptions broken;
  broken.tls_cert = pki.file("missing.crt");
  broken.tls_key = key;
  auto refused = portal::Server::start(*live.server_store, broken);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "tls_invalid");
}

TEST_CASE("a full pull over loopback: every order once, and how many a second") {
  Live live;
  constexpr int kOrders = 5000;
  std::vector<portal::NewOrder> batch;
  for (int i = 0; i < kOrders; ++i) {
    batch.push_back(live.f.order(i % 4 == 0 ? 2 : 1, "Client " + std::to_string(i)));
  }
  REQUIRE(live.f.store->import_orders(batch, live.f.now_ms).ok());

  std::set<std::int64_t> seen;
  std::string cursor;
  bool more = true;
  std::size_t bytes = 0;
  int pages = 0;
  const auto start = std::chrono::steady_clock::now();
  while (more) {
    const std::string target = "/api/v1/changes?cursor=" + cursor + "&limit=1000";
    auto client = live.client();
    client.set_decompress(false);
    auto r = client.Get(target,
                        {{"Authorization", live.auth("GET", target)}, {"Accept-Encoding", "gzip"}});
    REQUIRE(r);
    REQUIRE(r->status == 200);
    bytes += r->body.size();
    auto page = wire::parse_changes_page(gunzip(r->body));
    REQUIRE(page.ok());
    for (const auto &o : page->orders) CHECK(seen.insert(o.id).second);
    cursor = page->cursor;
    more = page->more;
    REQUIRE(++pages <= 10);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seen.size() == kOrders);
  CHECK(pages == 5);
  MESSAGE("portal_pull_orders_per_s " << kOrders / seconds << " (" << kOrders << " orders, "
                                      << pages << " pages, " << seconds << " s, "
                                      << static_cast<double>(bytes) / kOrders
                                      << " B an order on the wire, a quarter of them stubs)");
}

}  // namespace
}  // namespace comptoir::test
