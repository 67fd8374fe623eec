// The portal's endpoints over cpp-httplib 0.11.4 (compiled with OpenSSL, zlib, brotli).
// What the library does for us, checked on this version: it decompresses a request body
// sent with Content-Encoding gzip before our content reader sees it, and compresses an
// application/json answer when the client accepts gzip. What it does not: its payload limit
// applies to the body as sent, so a small gzip body could still inflate to gigabytes; the
// handlers read through a content reader that stops at 16 MiB decompressed (413).
#include "portal/server.hpp"

#include <httplib.h>
#include <openssl/rand.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "sync/device_auth.hpp"
#include "sync/wire.hpp"

namespace comptoir::portal {
namespace {

using Clock = std::chrono::steady_clock;

// What the log line needs that httplib's logger does not get: when the request started
// (pre-routing) and which device it was. A request runs on one pool thread from reading
// to logging, so a thread_local carries it.
struct RequestContext {
  bool started = false;
  Clock::time_point start;
  std::string device;
  std::size_t in_bytes = 0;  // the body decompressed (httplib's req.body stays empty)
};
thread_local RequestContext t_request;

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void send_error(httplib::Response &res, int status, std::string code, std::string message,
                std::optional<std::int64_t> portal_time_ms = std::nullopt) {
  res.status = status;
  wire::ErrorBody body;
  body.error = std::move(code);
  body.message = std::move(message);
  body.portal_time_ms = portal_time_ms;
  res.set_content(wire::to_json(body), "application/json");
}

// The protocol's error for a status httplib answered by itself (no route, body too large,
// a gzip body that does not inflate...).
void fill_default_error(httplib::Response &res) {
  switch (res.status) {
    case 400:
      return send_error(res, 400, "bad_request", "The request could not be read.");
    case 404:
      return send_error(res, 404, "not_found",
                        "No such endpoint: the protocol's are POST /api/v1/enrol, "
                        "GET /api/v1/changes, POST /api/v1/events, GET /api/v1/ping and "
                        "GET /api/v1/ping/download.");
    case 413:
      return send_error(res, 413, "too_large", "The body is over 16 MiB.");
    case 503:
      return send_error(res, 503, "busy", "The portal is busy; try again later.");
    default:
      if (res.status >= 500) {
        return send_error(res, res.status, "internal", "The portal failed; see its log.");
      }
      return send_error(res, res.status, "bad_request", "The request was refused.");
  }
}

// A store error as the protocol's answer.
void send_store_error(httplib::Response &res, const Error &e) {
  if (e.code == "cursor_expired") {
    return send_error(res, 410, "cursor_expired",
                      "Unknown cursor (" + e.detail + "): pull again from the empty cursor.");
  }
  if (e.code == "not_found") return send_error(res, 404, "not_found", "No such enrolment code.");
  if (e.code == "code_used") {
    return send_error(res, 409, "code_used",
                      "This enrolment code was used already: ask the portal's admin for "
                      "another one.");
  }
  if (e.code == "code_expired") {
    return send_error(res, 410, "code_expired",
                      "This enrolment code has expired (24 hours): ask the portal's admin for "
                      "another one.");
  }
  if (e.code == "disk_full") {
    res.set_header("Retry-After", "300");
    return send_error(res, 503, "busy", "The portal's disk is full; try again later.");
  }
  if (e.detail.find("database is locked") != std::string::npos ||
      e.detail.find("busy") != std::string::npos) {
    res.set_header("Retry-After", "5");
    return send_error(res, 503, "busy", "The portal's database is busy; try again shortly.");
  }
  std::fprintf(stderr, "comptoir-portal: internal error: %s: %s\n", e.code.c_str(),
               e.detail.c_str());
  return send_error(res, 500, "internal", "The portal failed; see its log.");
}

// Reads the whole body, decompressed, up to the protocol's limit. False (with the answer
// set) when it is too large or cannot be read.
bool read_body(const httplib::Request &req, const httplib::ContentReader &reader,
               httplib::Response &res, std::string &body) {
  // httplib checks its payload limit before routing only for handlers without a content
  // reader: announced too large, the body is refused unread, and the connection closed (the
  // rest of it would otherwise be read as the next request).
  const std::string length = req.get_header_value("Content-Length");
  std::uint64_t announced = 0;
  std::from_chars(length.data(), length.data() + length.size(), announced);
  if (announced > wire::kMaxBodyBytes) {
    res.set_header("Connection", "close");
    send_error(res, 413, "too_large", "The body is over 16 MiB.");
    return false;
  }
  bool too_large = false;
  const bool ok = reader([&](const char *data, std::size_t size) {
    if (body.size() + size > wire::kMaxBodyBytes) {
      too_large = true;
      return false;
    }
    body.append(data, size);
    return true;
  });
  t_request.in_bytes = body.size();
  if (too_large) {
    send_error(res, 413, "too_large", "The body is over 16 MiB once decompressed.");
    return false;
  }
  if (!ok) {
    send_error(res, 400, "bad_request",
               "The body could not be read: cut short, or gzip that does not inflate.");
    return false;
  }
  return true;
}

}  // namespace

bool is_loopback_host(const std::string &host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  // 127.0.0.0/8 in dotted form.
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char ch : host) {
    if (ch == '.') {
      ++dots;
    } else if (ch < '0' || ch > '9') {
      return false;
    }
  }
  return dots == 3;
}

struct Server::Impl {
  Store &store;
  ServerOptions options;
  std::mutex store_mutex;
  std::unique_ptr<httplib::Server> http;
  std::thread thread;
  std::atomic<bool> listening{false};
  bool stopped = false;

  Impl(Store &s, ServerOptions o) : store(s), options(std::move(o)) {}

  std::int64_t now() const { return options.now_ms(); }

  // The device a request is from, or nullopt with the answer set (401, 403).
  std::optional<Device> authenticate(const httplib::Request &req, httplib::Response &res,
                                     const std::string &body) {
    const auto auth = wire::parse_authorization(req.get_header_value("Authorization"));
    if (!auth) {
      send_error(res, 401, "unauthenticated",
                 "Missing or malformed Authorization header (Comptoir-Ed25519 device=...,ts=...,"
                 "sig=...): enrol the appliance first.");
      return std::nullopt;
    }
    t_request.device = auth->device_id;
    Result<Device> device = make_error("", "");
    {
      std::lock_guard lock(store_mutex);
      device = store.find_device(auth->device_id);
    }
    if (!device) {
      if (device.error().code == "unknown_device") {
        send_error(res, 401, "unauthenticated",
                   "Unknown device " + auth->device_id + ": enrol the appliance again.");
      } else {
        send_store_error(res, device.error());
      }
      return std::nullopt;
    }
    // The target exactly as sent, query included: what the device signed.
    if (!wire::verify_request(device->public_key, *auth, req.method, req.target, body)) {
      send_error(
          res, 401, "unauthenticated",
          "The request's signature does not verify with device " + auth->device_id + "'s key.");
      return std::nullopt;
    }
    const std::int64_t now_ms = now();
    const std::int64_t skew = auth->timestamp_ms - now_ms;
    if (skew > wire::kMaxClockSkewMs || skew < -wire::kMaxClockSkewMs) {
      send_error(res, 401, "clock_skew",
                 "The request's time is " + std::to_string(skew / 1000) +
                     " s away from the portal's: correct the clock by portal_time_ms and retry.",
                 now_ms);
      return std::nullopt;
    }
    if (device->revoked()) {
      send_error(res, 403, "device_revoked",
                 "Device " + device->id +
                     " was revoked on the portal: enrol it again with a new "
                     "code.");
      return std::nullopt;
    }
    if (now_ms - device->last_seen_ms > 60'000) {
      std::lock_guard lock(store_mutex);
      // Only for `devices list`: a failure here must not fail the request.
      (void)store.touch_device(device->id, now_ms);
    }
    return std::move(*device);
  }

  void changes(const httplib::Request &req, httplib::Response &res) {
    auto device = authenticate(req, res, "");
    if (!device) return;
    std::size_t limit = wire::kDefaultPageOrders;
    if (req.has_param("limit")) {
      const std::string text = req.get_param_value("limit");
      std::size_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
        return send_error(res, 400, "bad_request",
                          "limit must be a whole number from 1 to 1000 (got \"" + text + "\").");
      }
      limit = value;
    }
    const std::string cursor = req.get_param_value("cursor");
    if (cursor.size() > wire::kMaxCursorBytes) {
      return send_error(res, 400, "bad_request", "The cursor is longer than 64 bytes.");
    }
    Result<wire::ChangesPage> page = make_error("", "");
    {
      std::lock_guard lock(store_mutex);
      page = store.changes(*device, cursor, limit, now());
    }
    if (!page) return send_store_error(res, page.error());
    res.set_content(wire::to_json(*page), "application/json");
  }

  void events(const httplib::Request &req, httplib::Response &res,
              const httplib::ContentReader &reader) {
    std::string body;
    if (!read_body(req, reader, res, body)) return;
    auto device = authenticate(req, res, body);
    if (!device) return;
    auto request = wire::parse_push_request(body);
    if (!request) {
      return send_error(res, 400, "bad_request",
                        "The events are refused: " + request.error().detail);
    }
    Result<wire::PushResponse> acks = make_error("", "");
    {
      std::lock_guard lock(store_mutex);
      acks = store.push(*device, *request, now());
    }
    if (!acks) return send_store_error(res, acks.error());
    res.set_content(wire::to_json(*acks), "application/json");
  }

  void enrol(const httplib::Request &req, httplib::Response &res,
             const httplib::ContentReader &reader) {
    std::string body;
    if (!read_body(req, reader, res, body)) return;
    auto request = wire::parse_enrol_request(body);
    if (!request) {
      return send_error(res, 400, "bad_request",
                        "The enrolment request is refused: " + request.error().detail);
    }
    Result<wire::EnrolResponse> answer = make_error("", "");
    {
      std::lock_guard lock(store_mutex);
      answer = store.enrol(*request, now());
    }
    if (!answer) return send_store_error(res, answer.error());
    t_request.device = answer->device_id;
    res.set_content(wire::to_json(*answer), "application/json");
  }

  // No authentication, nothing personal: the portal's name, clock and identity key.
  void ping(const httplib::Request &, httplib::Response &res) {
    wire::PingResponse answer;
    Result<std::string> name = make_error("", "");
    {
      std::lock_guard lock(store_mutex);
      name = store.portal_name();
    }
    if (!name) return send_store_error(res, name.error());
    answer.portal_name = *name;
    answer.portal_time_ms = now();
    answer.portal_key = store.identity().public_key;
    res.set_header("Cache-Control", "no-store");
    res.set_content(wire::to_json(answer), "application/json");
  }

  // N random bytes (incompressible, never gzipped: application/octet-stream is not among
  // the types httplib compresses) for the self-test's bandwidth figure.
  void ping_download(const httplib::Request &req, httplib::Response &res) {
    std::size_t bytes = 65536;
    if (req.has_param("bytes")) {
      const std::string text = req.get_param_value("bytes");
      std::size_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || value == 0 ||
          value > wire::kMaxPingBytes) {
        return send_error(res, 400, "bad_request",
                          "bytes must be a whole number from 1 to " +
                              std::to_string(wire::kMaxPingBytes) + " (got \"" + text + "\").");
      }
      bytes = value;
    }
    std::string body(bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(body.data()), static_cast<int>(bytes)) != 1) {
      return send_error(res, 500, "internal", "The portal failed; see its log.");
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(body, "application/octet-stream");
  }

  void log(const httplib::Request &req, const httplib::Response &res) {
    const long long ms =
        t_request.started
            ? std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_request.start)
                  .count()
            : 0;
    std::string line = req.method + ' ' + req.path + ' ' + std::to_string(res.status) + ' ' +
                       (t_request.device.empty() ? "-" : t_request.device) + ' ' +
                       std::to_string(ms) + "ms in=" + std::to_string(t_request.in_bytes) +
                       " out=" + std::to_string(res.body.size());
    t_request = RequestContext{};
    options.log(line);
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

std::string Server::url() const {
  const std::string &host = impl_->options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls_ ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ':' +
         std::to_string(port_);
}

bool Server::running() const {
  return impl_->listening.load();
}

void Server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->http->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<Server>> Server::start(Store &store, ServerOptions options) {
  if (!options.now_ms) options.now_ms = system_now_ms;
  if (!options.log) {
    options.log = [](const std::string &line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  }
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return make_error("tls_invalid", "give both the certificate and its key, or neither");
  }
  if (options.threads == 0) options.threads = 1;
  auto impl = std::make_unique<Impl>(store, std::move(options));
  Impl *self = impl.get();
  const ServerOptions &o = self->options;
  const bool tls = !o.tls_cert.empty();
  if (tls) {
    auto ssl = std::make_unique<httplib::SSLServer>(o.tls_cert.c_str(), o.tls_key.c_str());
    if (!ssl->is_valid()) {
      return make_error("tls_invalid", "cannot load the certificate " + o.tls_cert +
                                           " with the key " + o.tls_key +
                                           " (PEM files, the key unencrypted, matching)");
    }
    self->http = std::move(ssl);
  } else {
    self->http = std::make_unique<httplib::Server>();
  }
  httplib::Server &http = *self->http;
  const std::size_t threads = o.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // The limit on the body as sent; read_body() applies it again once decompressed.
  http.set_payload_max_length(wire::kMaxBodyBytes);
  http.set_read_timeout(o.io_timeout_s, 0);
  http.set_write_timeout(o.io_timeout_s, 0);
  http.set_pre_routing_handler([](const httplib::Request &, httplib::Response &) {
    t_request = RequestContext{true, Clock::now(), {}};
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_error_handler([](const httplib::Request &, httplib::Response &res) {
    if (res.body.empty()) fill_default_error(res);
  });
  http.set_exception_handler(
      [](const httplib::Request &, httplib::Response &res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception &e) {
          what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "comptoir-portal: internal error: %s\n", what.c_str());
        send_error(res, 500, "internal", "The portal failed; see its log.");
      });
  http.set_logger(
      [self](const httplib::Request &req, const httplib::Response &res) { self->log(req, res); });

  const std::string prefix(wire::kApiPrefix);
  http.Get(prefix + "/changes", [self](const httplib::Request &req, httplib::Response &res) {
    self->changes(req, res);
  });
  http.Post(prefix + "/events",
            [self](const httplib::Request &req, httplib::Response &res,
                   const httplib::ContentReader &reader) { self->events(req, res, reader); });
  http.Post(prefix + "/enrol",
            [self](const httplib::Request &req, httplib::Response &res,
                   const httplib::ContentReader &reader) { self->enrol(req, res, reader); });
  http.Get(prefix + "/ping",
           [self](const httplib::Request &req, httplib::Response &res) { self->ping(req, res); });
  http.Get(prefix + "/ping/download", [self](const httplib::Request &req, httplib::Response &res) {
    self->ping_download(req, res);
  });
  // The enrolment QR holds <portal>/api/v1/enrol?code=...: a phone that opens it as a link
  // gets told what it is instead of an error.
  http.Get(prefix + "/enrol", [](const httplib::Request &, httplib::Response &res) {
    res.set_content(
        "Code d'enrôlement Comptoir : scannez-le avec l'appareil (écran technicien) ou "
        "tapez-le dans `comptoir enrol`.\n"
        "A Comptoir enrolment code: scan it with the appliance (technician screen) or type "
        "it into `comptoir enrol`.\n",
        "text/plain; charset=utf-8");
  });

  int port = o.port;
  if (port == 0) {
    port = http.bind_to_any_port(o.host);
    if (port <= 0) {
      return make_error("listen_failed", "cannot listen on " + o.host + " (no such address?)");
    }
  } else if (!http.bind_to_port(o.host, port)) {
    return make_error("listen_failed", "cannot listen on " + o.host + ":" + std::to_string(port) +
                                           " (in use, or no such address?)");
  }
  self->thread = std::thread([self] {
    self->listening = true;
    self->http->listen_after_bind();
    self->listening = false;
  });
  // stop() before httplib's loop has started would be lost: wait until it runs.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (!http.is_running() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::unique_ptr<Server> server(new Server(std::move(impl)));
  server->port_ = port;
  server->tls_ = tls;
  if (!self->http->is_running()) {
    server->stop();
    return make_error("listen_failed", "the server did not start");
  }
  return server;
}

}  // namespace comptoir::portal
