// The portal client's transport against a real HTTP server on loopback: gzip both ways and
// what the byte counters count, the stall rule (a stalled body is abandoned, a slow one is
// not), HTTP errors as responses, the URL rule, TLS verification, the size cap, the abort
// flag.
#include "sync/http_client.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "sync/wire.hpp"
#include "test_server.hpp"
#include "tests/support/subprocess.hpp"
#include "tests/support/temp_dir.hpp"

namespace comptoir::sync {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

std::int64_t ms_since(SteadyClock::time_point start) {
  return std::chrono::duration_cast<Ms>(SteadyClock::now() - start).count();
}

std::unique_ptr<HttpClient> client_for(const std::string &url, int stall_s = 30,
                                       const std::atomic<bool> *abort = nullptr,
                                       const std::string &ca_file = {}) {
  HttpOptions o;
  o.base_url = url;
  o.stall_seconds = stall_s;
  o.connect_timeout_s = 5;
  o.abort = abort;
  o.ca_file = ca_file;
  auto c = HttpClient::create(o);
  REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().detail));
  return std::move(*c);
}

HttpRequest get(std::string target) {
  HttpRequest r;
  r.target = std::move(target);
  return r;
}

// A JSON text that compresses well, as pages of orders do.
std::string repetitive_json(std::size_t orders) {
  std::string s = "{\"orders\":[";
  for (std::size_t i = 0; i < orders; ++i) {
    if (i > 0) s += ',';
    s += "{\"id\":" + std::to_string(100000 + i) +
         ",\"customer\":\"Marie D.\",\"status\":\"ready\",\"lines\":[[1,1000,2000,780]]}";
  }
  return s + "]}";
}

// A port nothing listens on: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("gzip and gunzip round-trip, and gunzip refuses too much or garbage") {
  const std::string text = repetitive_json(200);
  const std::string packed = gzip(text);
  CHECK(packed.size() < text.size() / 10);
  CHECK(static_cast<unsigned char>(packed[0]) == 0x1f);  // a gzip member, not raw deflate
  auto back = gunzip(packed, text.size());
  REQUIRE(back.ok());
  CHECK(*back == text);
  auto capped = gunzip(packed, text.size() - 1);
  REQUIRE_FALSE(capped.ok());
  CHECK(capped.error().code == "too_large");
  CHECK(gunzip("not gzip at all", 1000).error().code == "gzip_invalid");
  CHECK(gunzip(packed.substr(0, packed.size() / 2), text.size()).error().code == "gzip_invalid");
  CHECK(gunzip(gzip(""), 10).value().empty());
}

TEST_CASE("a request body goes gzip-compressed and the answer comes back decompressed") {
  test::TestServer server;
  const std::string answer = repetitive_json(300);
  server.http().Post("/api/v1/echo", [&](const httplib::Request &, httplib::Response &res) {
    res.set_content(answer, "application/json");  // httplib compresses it (Accept-Encoding)
  });
  server.start();
  auto client = client_for(server.url());
  HttpRequest post;
  post.method = "POST";
  post.target = "/api/v1/echo";
  post.body = repetitive_json(100);
  auto r = client->send(post);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  CHECK(r->status == 200);
  CHECK(r->body == answer);
  // On the wire: the compressed sizes, far below what the bodies hold.
  CHECK(r->bytes_sent == gzip(post.body).size());
  CHECK(r->bytes_received > 0);
  CHECK(r->bytes_received < answer.size() / 10);
  const auto seen = server.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].content_encoding == "gzip");
  CHECK(seen[0].body == post.body);  // the server decompressed what we compressed
}

TEST_CASE("bytes_received counts the compressed body, with a length or chunked") {
  test::TestServer server;
  const std::string plain = repetitive_json(500);
  const std::string packed = gzip(plain);
  // application/octet-stream: httplib leaves it alone, so the bytes on the wire are known.
  server.http().Get("/fixed", [&](const httplib::Request &, httplib::Response &res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(packed, "application/octet-stream");
  });
  server.http().Get("/chunked", [&](const httplib::Request &, httplib::Response &res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_chunked_content_provider(
        "application/octet-stream", [&](std::size_t, httplib::DataSink &sink) {
          // In three pieces, so there are several chunks.
          const std::size_t third = packed.size() / 3;
          sink.write(packed.data(), third);
          sink.write(packed.data() + third, third);
          sink.write(packed.data() + 2 * third, packed.size() - 2 * third);
          sink.done();
          return true;
        });
  });
  server.start();
  auto client = client_for(server.url());
  for (const char *target : {"/fixed", "/chunked"}) {
    CAPTURE(target);
    auto r = client->send(get(target));
    REQUIRE(r.ok());
    CHECK(r->body == plain);
    CHECK(r->bytes_received == packed.size());
    CHECK(r->bytes_sent == 0);
  }
}

TEST_CASE("a body that stops moving is abandoned within stall_seconds + 1 s as stalled") {
  test::TestServer server;
  server.http().Get("/stall", [&](const httplib::Request &, httplib::Response &res) {
    // The headers go out, then nothing.
    res.set_chunked_content_provider(
        "application/octet-stream",
        [&](std::size_t, httplib::DataSink &) { return server.pause(50); });
  });
  server.start();
  auto client = client_for(server.url(), 2);
  const auto start = SteadyClock::now();
  auto r = client->send(get("/stall"));
  const auto took = ms_since(start);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "stalled");
  CHECK(r.error().detail.find(server.url() + "/stall") != std::string::npos);
  // The silence is timed by the client, not by curl's averaged low-speed check (which
  // took stall_seconds + ~6 s).
  CHECK(took >= 1900);
  CHECK(took < 3000);
  MESSAGE("stalled after " << took << " ms with stall_seconds = 2");
}

TEST_CASE("the stall is timed from the last byte that moved, not from the request") {
  test::TestServer server;
  std::atomic<std::int64_t> last_byte_ms{0};
  const auto start = SteadyClock::now();
  server.http().Get("/then-nothing", [&](const httplib::Request &, httplib::Response &res) {
    // 4 bytes, one every 400 ms (1.6 s in all), then nothing.
    res.set_chunked_content_provider("application/octet-stream",
                                     [&](std::size_t offset, httplib::DataSink &sink) {
                                       if (offset >= 4) return server.pause(50);
                                       if (!server.pause(400)) return false;
                                       sink.write("x", 1);
                                       last_byte_ms.store(ms_since(start));
                                       return true;
                                     });
  });
  server.start();
  auto client = client_for(server.url(), 2);
  auto r = client->send(get("/then-nothing"));
  const auto took = ms_since(start);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "stalled");
  const std::int64_t silent = took - last_byte_ms.load();
  CHECK(last_byte_ms.load() >= 1500);
  CHECK(silent >= 1900);
  CHECK(silent < 3000);
  MESSAGE("stalled " << silent << " ms after the last byte (" << took
                     << " ms in all) with stall_seconds = 2");
}

TEST_CASE("a connection that never comes up is offline after connect_timeout_s, not stalled") {
  // A listening socket nobody accepts on: the kernel completes the TCP handshake, the TLS
  // one never answers. The connect timeout rules until the request is out, however short
  // stall_seconds is.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
  HttpOptions o;
  o.base_url = "https://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  o.stall_seconds = 1;
  o.connect_timeout_s = 2;
  auto c = HttpClient::create(o);
  REQUIRE(c.ok());
  const auto start = SteadyClock::now();
  auto r = (*c)->send(get("/api/v1/changes"));
  const auto took = ms_since(start);
  ::close(fd);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "offline");
  CHECK(took >= 1900);
  CHECK(took < 4000);
  MESSAGE("offline after " << took << " ms with connect_timeout_s = 2, stall_seconds = 1");
}

TEST_CASE("a slow but moving body completes however long it takes") {
  test::TestServer server;
  server.http().Get("/drip", [&](const httplib::Request &, httplib::Response &res) {
    // 1 byte every 500 ms for 4 s: 2 bytes/s, above the 1 byte/s floor, for twice stall_s.
    res.set_chunked_content_provider("application/octet-stream",
                                     [&](std::size_t offset, httplib::DataSink &sink) {
                                       if (offset >= 8) {
                                         sink.done();
                                         return true;
                                       }
                                       if (!server.pause(500)) return false;
                                       sink.write("x", 1);
                                       return true;
                                     });
  });
  server.start();
  auto client = client_for(server.url(), 2);
  const auto start = SteadyClock::now();
  auto r = client->send(get("/drip"));
  const auto took = ms_since(start);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().detail));
  CHECK(r->body == "xxxxxxxx");
  CHECK(took >= 3500);
  MESSAGE("8 bytes at 2 bytes/s took " << took << " ms with stall_seconds = 2");
}

TEST_CASE("an HTTP error is a response, with its Retry-After") {
  test::TestServer server;
  server.http().Get("/busy", [](const httplib::Request &, httplib::Response &res) {
    res.status = 503;
    res.set_header("Retry-After", "7");
    res.set_content(R"({"error":"busy","message":"try later"})", "application/json");
  });
  server.http().Get("/fail", [](const httplib::Request &, httplib::Response &res) {
    res.status = 500;
    res.set_header("Retry-After", "12");
    res.set_content(R"({"error":"internal","message":"oops"})", "application/json");
  });
  server.start();
  auto client = client_for(server.url());
  auto busy = client->send(get("/busy"));
  REQUIRE(busy.ok());
  CHECK(busy->status == 503);
  CHECK(busy->retry_after == "7");
  CHECK(busy->body.find("\"busy\"") != std::string::npos);
  auto fail = client->send(get("/fail"));
  REQUIRE(fail.ok());
  CHECK(fail->status == 500);
  CHECK(fail->retry_after == "12");
  // No Retry-After: none reported, even on the same connection after one that had it.
  auto missing = client->send(get("/nothing-here"));
  REQUIRE(missing.ok());
  CHECK(missing->status == 404);
  CHECK(missing->retry_after.empty());
}

TEST_CASE("a refused connection is offline, naming the URL") {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  auto client = client_for(url);
  auto r = client->send(get("/api/v1/changes"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "offline");
  CHECK(r.error().detail.find(url + "/api/v1/changes") != std::string::npos);
}

TEST_CASE("plain http only to loopback unless insecure, other schemes refused") {
  for (const char *ok :
       {"http://127.0.0.1:8088", "http://127.9.8.7", "http://localhost:1", "http://LOCALHOST",
        "http://[::1]:8088", "https://portal.example.org", "https://192.0.2.1/base"}) {
    CAPTURE(ok);
    CHECK(check_portal_url(ok, false).ok());
  }
  for (const char *insecure :
       {"http://192.0.2.1", "http://portal.example.org", "http://127.0.0.1.example.org",
        "http://[::2]", "http://128.0.0.1"}) {
    CAPTURE(insecure);
    auto r = check_portal_url(insecure, false);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "insecure_url");
    CHECK(check_portal_url(insecure, true).ok());
  }
  for (const char *bad :
       {"ftp://portal.example.org", "portal.example.org", "", "https://", "file:///etc/passwd"}) {
    CAPTURE(bad);
    auto r = check_portal_url(bad, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "bad_url");
  }
  HttpOptions o;
  o.base_url = "http://192.0.2.1";
  auto c = HttpClient::create(o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == "insecure_url");
}

TEST_CASE("the abort flag ends a transfer in progress within a second") {
  test::TestServer server;
  server.http().Get("/stall", [&](const httplib::Request &, httplib::Response &res) {
    res.set_chunked_content_provider(
        "application/octet-stream",
        [&](std::size_t, httplib::DataSink &) { return server.pause(50); });
  });
  server.start();
  std::atomic<bool> abort{false};
  auto client = client_for(server.url(), 30, &abort);
  SteadyClock::time_point set_at;
  std::thread setter([&] {
    // Once the request is in (its headers answered), not before.
    REQUIRE(server.wait_for_requests(1, Ms(10'000)));
    std::this_thread::sleep_for(Ms(200));
    set_at = SteadyClock::now();
    abort.store(true);
  });
  auto r = client->send(get("/stall"));
  const auto ended = SteadyClock::now();
  setter.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "aborted");
  const auto after = std::chrono::duration_cast<Ms>(ended - set_at).count();
  CHECK(after < 1000);
  MESSAGE("aborted " << after << " ms after the flag was set");
  // Set before a request: nothing is sent.
  auto again = client->send(get("/stall"));
  CHECK(again.error().code == "aborted");
  CHECK(server.seen_count() == 1);
}

TEST_CASE("an answer over the size limit once decompressed is refused") {
  test::TestServer server;
  // 17 MiB of zeros: 17 KB on the wire, over the 16 MiB limit decompressed.
  const std::string bomb = gzip(std::string(wire::kMaxBodyBytes + 1024 * 1024, '0'));
  server.http().Get("/bomb", [&](const httplib::Request &, httplib::Response &res) {
    res.set_header("Content-Encoding", "gzip");
    res.set_content(bomb, "application/octet-stream");
  });
  server.start();
  auto client = client_for(server.url());
  auto r = client->send(get("/bomb"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "response_too_large");
  CHECK(bomb.size() < 100'000);
}

TEST_CASE("https: an untrusted or misnamed certificate is refused, its CA file makes it trusted") {
  test::TempDir dir;
  // A self-signed certificate for 127.0.0.1, and one for another name.
  auto make_cert = [&](const std::string &name, const std::string &san) {
    const auto r =
        test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir.file(name + ".key"),
                   "-out", dir.file(name + ".pem"), "-days", "2", "-subj", "/CN=comptoir-test",
                   "-addext", "subjectAltName=" + san});
    REQUIRE_MESSAGE(r.status.exited, r.err);
    REQUIRE_MESSAGE(r.status.code == 0, r.err);
  };
  make_cert("good", "IP:127.0.0.1");
  make_cert("other", "DNS:portal.example.org");
  {
    test::TestServer server(dir.file("good.pem"), dir.file("good.key"));
    server.http().Get("/api/v1/hello", [](const httplib::Request &, httplib::Response &res) {
      res.set_content("{}", "application/json");
    });
    server.start();
    auto untrusted = client_for(server.url("https"))->send(get("/api/v1/hello"));
    REQUIRE_FALSE(untrusted.ok());
    CHECK(untrusted.error().code == "tls_untrusted");
    auto trusted = client_for(server.url("https"), 30, nullptr, dir.file("good.pem"))
                       ->send(get("/api/v1/hello"));
    REQUIRE_MESSAGE(trusted.ok(), (trusted.ok() ? "" : trusted.error().detail));
    CHECK(trusted->status == 200);
    CHECK(trusted->body == "{}");
    // `insecure` is about plain http only: it never turns certificate checks off.
    HttpOptions o;
    o.base_url = server.url("https");
    o.insecure = true;
    auto still = (*HttpClient::create(o))->send(get("/api/v1/hello"));
    CHECK(still.error().code == "tls_untrusted");
  }
  {
    test::TestServer server(dir.file("other.pem"), dir.file("other.key"));
    server.start();
    auto misnamed =
        client_for(server.url("https"), 30, nullptr, dir.file("other.pem"))->send(get("/"));
    REQUIRE_FALSE(misnamed.ok());
    CHECK(misnamed.error().code == "tls_untrusted");
  }
}

}  // namespace comptoir::sync
