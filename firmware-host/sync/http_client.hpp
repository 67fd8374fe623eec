// The appliance's HTTP client for the portal, over libcurl: TLS with certificate
// verification (a CA file for private CAs), plain http only to loopback unless `insecure`,
// gzip both ways (responses by Accept-Encoding; request bodies compressed with zlib and
// sent with Content-Encoding: gzip), and a stall rule instead of a total timeout: once the
// request is out, the transfer is aborted when no byte has moved either way for
// `stall_seconds` (timed by the client on a monotonic clock, within ~0.1 s), never because it
// is slow but moving. Until the connection is up, connect_timeout_s rules (offline).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "db/result.hpp"
#include "sync/gzip.hpp"  // gzip and gunzip, also for tests and benchmarks

namespace comptoir::sync {

struct HttpOptions {
  std::string base_url;   // "https://portal.example.org" (no trailing slash needed)
  std::string ca_file;    // empty: the system's CAs
  bool insecure = false;  // allow plain http to a host other than loopback
  int connect_timeout_s = 20;
  int stall_seconds = 30;
  std::string user_agent = "comptoir/0.1";
  // Set (by another thread) to abandon the transfer in progress within about 100 ms: error
  // `aborted`. Read only; must outlive the client.
  const std::atomic<bool> *abort = nullptr;
};

struct HttpRequest {
  std::string method = "GET";  // GET or POST
  std::string target;          // path and query: "/api/v1/changes?cursor=s1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // uncompressed; gzip-compressed on the wire when not empty
};

struct HttpResponse {
  long status = 0;
  std::string body;         // decompressed
  std::string retry_after;  // the Retry-After header, if any
  // Body bytes as they crossed the wire, headers excluded: CURLINFO_SIZE_DOWNLOAD_T counts
  // the body before curl's gzip decoder (and after de-chunking), so it is the compressed
  // size (http_client_test checks it equals the gzip stream's length, with a Content-Length
  // and chunked); CURLINFO_SIZE_UPLOAD_T counts the gzip body we sent.
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
};

// Network-level failures are errors (the portal could not be asked):
//   insecure_url      http:// to a host other than loopback without `insecure`
//   bad_url           not an http(s) URL
//   offline           could not resolve or connect (no route, refused, timed out)
//   stalled           no byte for stall_seconds once the request went out
//   tls_untrusted     the certificate is not trusted or not for this host
//   transfer_failed   the connection broke mid-transfer, a bad gzip body...
//   response_too_large  over wire::kMaxBodyBytes decompressed
//   aborted           HttpOptions::abort was set (the agent is stopping)
// Any HTTP status is a response, not an error.
class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> create(HttpOptions options);
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> send(const HttpRequest &request) = 0;
  const HttpOptions &options() const { return options_; }

 protected:
  explicit HttpClient(HttpOptions options) : options_(std::move(options)) {}
  HttpOptions options_;
};

// Checks the URL rule alone (for enrol before any request): insecure_url, bad_url.
Result<void> check_portal_url(const std::string &url, bool insecure);

}  // namespace comptoir::sync
