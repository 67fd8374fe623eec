// A cpp-httplib server on 127.0.0.1 (a port the kernel picks) for the sync client's tests:
// each test installs the handlers it needs, and the server records every request (method,
// target with its query, headers, decompressed body) so a test can check what went out.
// Handlers that hold a response open (stalls, slow bodies) watch `stopping()`, set before
// the server stops, so the test ends without waiting for them.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace comptoir::test {

struct SeenRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::string content_encoding;
  std::string authorization;
  std::string body;  // decompressed by the server
};

class TestServer {
 public:
  // https when cert and key are given (PEM files).
  TestServer() : server_(std::make_unique<httplib::Server>()) { init(); }
  TestServer(const std::string &cert, const std::string &key)
      : server_(std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str())) {
    if (!server_->is_valid()) throw std::runtime_error("SSLServer: bad certificate or key");
    init();
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer &) = delete;
  TestServer &operator=(const TestServer &) = delete;

  httplib::Server &http() { return *server_; }
  int port() const { return port_; }
  std::string url(const std::string &scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

  // After the handlers are installed.
  void start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("TestServer: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->is_running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("TestServer: did not start");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void stop() {
    stopping_.store(true);
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }

  bool stopping() const { return stopping_.load(); }

  std::vector<SeenRequest> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::size_t seen_count() const {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }
  // Waits until at least n requests were seen; false past the deadline.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (seen_count() < n) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Sleeps in small steps until `ms` passed or the server is stopping; false when stopping.
  bool pause(int ms) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      if (stopping()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

 private:
  void init() {
    // Every request is recorded once its handler ran (the body is read by then), before
    // the response is written.
    server_->set_post_routing_handler([this](const httplib::Request &req, httplib::Response &) {
      SeenRequest s;
      s.method = req.method;
      s.target = req.target;
      s.content_encoding = req.get_header_value("Content-Encoding");
      s.authorization = req.get_header_value("Authorization");
      s.body = req.body;
      std::lock_guard lock(mutex_);
      seen_.push_back(std::move(s));
    });
  }

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;
};

}  // namespace comptoir::test
