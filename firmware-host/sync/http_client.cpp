// HttpClient over libcurl's multi interface: one easy handle per request on a multi handle
// that keeps the connections (keep-alive across pages and batches), a loop that polls in
// 100 ms steps so an abort request is seen at once, whatever curl is waiting for (DNS, a
// connect, a stalled body), and so is a stall: the loop times the silence itself.
#include "sync/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>

#include "sync/wire.hpp"

namespace comptoir::sync {
namespace {

void global_init_once() {
  static std::once_flag once;
  // Never cleaned up: other threads may still hold handles when main returns.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_loopback_host(std::string host) {
  host = lower(host);
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
  }
  return false;
}

// A curl string handed back by curl_url_get, freed on scope exit.
struct CurlString {
  char *p = nullptr;
  ~CurlString() { curl_free(p); }
};

using SteadyClock = std::chrono::steady_clock;

// Per request: what the callbacks fill.
struct Transfer {
  std::string body;
  std::string retry_after;
  bool too_large = false;
  bool reached = false;  // a connection was made (or reused) and the request went out
  bool stalled = false;  // we gave up: nothing moved for stall_seconds
  const std::atomic<bool> *abort = nullptr;
  // The stall rule, timed here rather than by CURLOPT_LOW_SPEED_*: curl's check compares a
  // speed averaged over ~5 s with the limit, so it fires ~5 s late (11 s for stall_s = 5).
  // `last_move` is when a byte last went either way (monotonic), from the moment the request
  // went out: before that the connect timeout rules (offline).
  SteadyClock::duration stall_after{};
  SteadyClock::time_point last_move{};
  curl_off_t last_down = 0;
  curl_off_t last_up = 0;

  void moved() { last_move = SteadyClock::now(); }
  // True once the request is out and nothing has moved for stall_after.
  bool silent_too_long() {
    if (!reached) return false;
    if (SteadyClock::now() - last_move < stall_after) return false;
    stalled = true;
    return true;
  }
};

std::size_t on_body(char *data, std::size_t size, std::size_t n, void *user) {
  auto *t = static_cast<Transfer *>(user);
  const std::size_t bytes = size * n;
  // The body comes decompressed here (CURLOPT_ACCEPT_ENCODING): the cap is on what we keep.
  if (t->body.size() + bytes > wire::kMaxBodyBytes) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  t->body.append(data, bytes);
  t->moved();
  return bytes;
}

std::size_t on_header(char *data, std::size_t size, std::size_t n, void *user) {
  auto *t = static_cast<Transfer *>(user);
  const std::size_t bytes = size * n;
  const std::string_view line(data, bytes);
  t->moved();  // header bytes count as moving (dlnow counts only the body)
  // A new status line (after a 100 Continue): its headers start afresh.
  if (line.substr(0, 5) == "HTTP/") t->retry_after.clear();
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && lower(line.substr(0, colon)) == "retry-after") {
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
      v.remove_suffix(1);
    }
    t->retry_after = std::string(v);
  }
  return bytes;
}

int on_progress(void *user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto *t = static_cast<Transfer *>(user);
  if (t->abort != nullptr && t->abort->load()) return 1;
  // The counters move with the bytes on the wire: an upload going out, a gzip body coming in
  // before the decoder has produced anything for on_body.
  if (dlnow != t->last_down || ulnow != t->last_up) {
    t->last_down = dlnow;
    t->last_up = ulnow;
    t->moved();
  }
  return t->silent_too_long() ? 1 : 0;
}

int on_prereq(void *user, char *, char *, int, int) {
  auto *t = static_cast<Transfer *>(user);
  // The connection is up (TLS included): from here on, silence is a stall, not offline.
  t->reached = true;
  t->moved();
  return CURL_PREREQFUNC_OK;
}

Error curl_failure(CURLcode code, const Transfer &t, const std::string &what, const char *errbuf,
                   int stall_seconds) {
  std::string detail = what + ": " + curl_easy_strerror(code);
  if (errbuf[0] != '\0') detail += std::string(" (") + errbuf + ")";
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return make_error("offline", detail);
    case CURLE_OPERATION_TIMEDOUT:
      // The same code for a connect timeout and for the low-speed backstop: the request
      // going out (CURLOPT_PREREQFUNCTION) tells them apart.
      if (!t.reached) return make_error("offline", detail);
      return make_error("stalled",
                        detail + ": no byte moved for " + std::to_string(stall_seconds) + " s");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return make_error("tls_untrusted", detail);
    case CURLE_ABORTED_BY_CALLBACK:
      if (t.stalled) {
        return make_error("stalled",
                          what + ": no byte moved for " + std::to_string(stall_seconds) + " s");
      }
      return make_error("aborted", detail);
    case CURLE_WRITE_ERROR:
      if (t.too_large) {
        return make_error("response_too_large", what + ": the answer is over " +
                                                    std::to_string(wire::kMaxBodyBytes) +
                                                    " bytes decompressed");
      }
      return make_error("transfer_failed", detail);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return make_error("bad_url", detail);
    default:
      return make_error("transfer_failed", detail);
  }
}

class CurlClient final : public HttpClient {
 public:
  explicit CurlClient(HttpOptions options) : HttpClient(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') {
      options_.base_url.pop_back();
    }
    multi_ = curl_multi_init();
  }
  ~CurlClient() override {
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }
  CurlClient(const CurlClient &) = delete;
  CurlClient &operator=(const CurlClient &) = delete;

  bool valid() const { return multi_ != nullptr; }

  Result<HttpResponse> send(const HttpRequest &request) override {
    const std::string url = options_.base_url + request.target;
    const std::string what = request.method + " " + url;
    if (request.method != "GET" && request.method != "POST") {
      return make_error("bad_request", what + ": only GET and POST are used");
    }
    if (options_.abort != nullptr && options_.abort->load()) {
      return make_error("aborted", what + ": not sent, the agent is stopping");
    }
    Transfer t;
    t.abort = options_.abort;
    t.stall_after = std::chrono::seconds(options_.stall_seconds);
    char errbuf[CURL_ERROR_SIZE] = {0};
    CURL *e = curl_easy_init();
    if (e == nullptr) return make_error("transfer_failed", what + ": curl_easy_init failed");
    curl_slist *headers = nullptr;
    const std::string compressed = request.body.empty() ? std::string() : gzip(request.body);
    bool has_type = false;
    for (const auto &[name, value] : request.headers) {
      if (lower(name) == "content-type") has_type = true;
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    headers = curl_slist_append(headers, "Accept: application/json");
    // No "Expect: 100-continue" round trip (a second on a slow link) before a body.
    headers = curl_slist_append(headers, "Expect:");
    if (!request.body.empty()) {
      if (!has_type) headers = curl_slist_append(headers, "Content-Type: application/json");
      headers = curl_slist_append(headers, "Content-Encoding: gzip");
    }

    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout_s));
    // No total timeout: abandoned only when nothing moved for stall_seconds, timed by the
    // loop below. curl's low-speed rule stays as a backstop, a little later than ours (it
    // averages over ~5 s, so it would fire ~5 s late anyway).
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 0L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_seconds + 5));
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    // `insecure` only allows plain http: certificates are always checked.
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, &t);
    if (request.method == "POST") {
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, compressed.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(compressed.size()));
    } else {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }

    CURLcode result = CURLE_OK;
    bool aborted = false;
    std::string multi_failure;
    if (curl_multi_add_handle(multi_, e) != CURLM_OK) {
      multi_failure = "curl_multi_add_handle failed";
    } else {
      int running = 1;
      while (running > 0) {
        if (options_.abort != nullptr && options_.abort->load()) {
          aborted = true;
          break;
        }
        if (const CURLMcode mc = curl_multi_perform(multi_, &running); mc != CURLM_OK) {
          multi_failure = curl_multi_strerror(mc);
          break;
        }
        if (running == 0) break;
        // Also here, not only in the progress callback: curl calls it only when it runs
        // the transfer, and the silence must end within a poll step whatever curl waits for.
        if (t.silent_too_long()) break;
        // At most 100 ms between looks at the abort flag and at the silence.
        if (const CURLMcode mc = curl_multi_poll(multi_, nullptr, 0, 100, nullptr);
            mc != CURLM_OK) {
          multi_failure = curl_multi_strerror(mc);
          break;
        }
      }
      if (!aborted && multi_failure.empty()) {
        int left = 0;
        while (CURLMsg *m = curl_multi_info_read(multi_, &left)) {
          if (m->msg == CURLMSG_DONE && m->easy_handle == e) result = m->data.result;
        }
      }
      curl_multi_remove_handle(multi_, e);
    }

    HttpResponse response;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &response.status);
    // Both count body bytes as they crossed the wire: the download counter is bumped before
    // curl's gzip decoder runs (checked in http_client_test), the upload one counts what we
    // handed over, already compressed.
    curl_off_t down = 0;
    curl_off_t up = 0;
    curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &down);
    curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
    response.bytes_received = static_cast<std::uint64_t>(std::max<curl_off_t>(down, 0));
    response.bytes_sent = static_cast<std::uint64_t>(std::max<curl_off_t>(up, 0));
    curl_easy_cleanup(e);
    curl_slist_free_all(headers);

    if (aborted) return make_error("aborted", what + ": abandoned, the agent is stopping");
    if (t.stalled && result == CURLE_OK) {
      // Given up by the loop (the transfer was still running, so no curl result).
      return make_error(
          "stalled", what + ": no byte moved for " + std::to_string(options_.stall_seconds) + " s");
    }
    if (!multi_failure.empty()) return make_error("transfer_failed", what + ": " + multi_failure);
    if (result != CURLE_OK) return curl_failure(result, t, what, errbuf, options_.stall_seconds);
    response.body = std::move(t.body);
    response.retry_after = std::move(t.retry_after);
    return response;
  }

 private:
  CURLM *multi_ = nullptr;
};

}  // namespace

Result<void> check_portal_url(const std::string &url, bool insecure) {
  global_init_once();
  CURLU *u = curl_url();
  if (u == nullptr) return make_error("bad_url", url + ": out of memory");
  CurlString scheme;
  CurlString host;
  const bool parsed = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_SCHEME, &scheme.p, 0) == CURLUE_OK &&
                      curl_url_get(u, CURLUPART_HOST, &host.p, 0) == CURLUE_OK;
  curl_url_cleanup(u);
  if (!parsed || url.find("://") == std::string::npos) {
    return make_error("bad_url", "\"" + url +
                                     "\" is not a portal URL: give it as "
                                     "https://portal.example.org");
  }
  const std::string s = lower(scheme.p);
  if (s == "https") return {};
  if (s != "http") {
    return make_error("bad_url", "\"" + url +
                                     "\": the portal is reached over https:// (or http:// "
                                     "on this machine)");
  }
  if (insecure || is_loopback_host(host.p)) return {};
  return make_error("insecure_url",
                    "\"" + url +
                        "\": plain http:// is only allowed to this machine (127.0.0.1, ::1, "
                        "localhost); use https://, or set insecure = true in [sync] for a test "
                        "network");
}

Result<std::unique_ptr<HttpClient>> HttpClient::create(HttpOptions options) {
  global_init_once();
  if (auto r = check_portal_url(options.base_url, options.insecure); !r) return r.error();
  if (options.stall_seconds < 1 || options.connect_timeout_s < 1) {
    return make_error("bad_request", "stall and connect timeouts must be at least 1 s");
  }
  auto client = std::make_unique<CurlClient>(std::move(options));
  if (!client->valid()) return make_error("transfer_failed", "curl_multi_init failed");
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace comptoir::sync
