// The sync agent (docs/protocol.md, "The appliance's side"): the device's credentials file,
// one round (push the outbox, then pull pages of changes), and the thread that runs rounds
// every interval, sooner after a handover, later after failures (full jitter).
#include "sync/sync_agent.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "db/sqlite.hpp"
#include "db/sync_store.hpp"
#include "sync/apply.hpp"
#include "sync/convert.hpp"
#include "sync/device_auth.hpp"
#include "sync/http_client.hpp"

namespace comptoir::sync {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::string_view kEventsTarget = "/api/v1/events";
constexpr std::string_view kChangesTarget = "/api/v1/changes";
// Retry-After is honoured up to an hour: a portal asking for more is taken as a mistake.
constexpr std::int64_t kMaxRetryAfterMs = 3'600'000;
// Events the portal may refuse one by one in a round before the push stops for that round.
constexpr std::size_t kMaxRefusedAlone = 8;

std::string key_path(const std::string &data_dir) {
  return data_dir + "/" + kDeviceKeyFile;
}

std::string errno_text(int e) {
  return std::strerror(e);
}

// Percent-encodes all but RFC 3986's unreserved characters: the cursor goes into the query
// exactly as signed.
std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Errors that mean the portal could not be reached (as opposed to a refusal or a local
// fault): they make the link "offline".
bool network_error(const std::string &code) {
  return code == "offline" || code == "stalled" || code == "tls_untrusted" ||
         code == "transfer_failed" || code == "response_too_large" || code == "insecure_url" ||
         code == "bad_url";
}

std::string join_conflicts(const std::vector<wire::Conflict> &conflicts) {
  std::string out;
  for (const auto c : conflicts) {
    if (!out.empty()) out += ',';
    out += wire::to_string(c);
  }
  return out;
}

void log_line(const std::string &text) {
  // One line, whatever the detail holds.
  std::string line = text;
  for (char &c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "comptoir: sync: %s\n", line.c_str());
}

}  // namespace

// --- Credentials --------------------------------------------------------------------------

Result<std::optional<Credentials>> load_credentials(const std::string &data_dir,
                                                    const std::string &portal_url) {
  const std::string path = key_path(data_dir);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<Credentials>();
    return make_error("credentials_unreadable",
                      path + ": " + errno_text(errno) +
                          ": make it a plain file readable by the appliance's user, or enrol "
                          "again (comptoir enrol --force --portal URL --code CODE)");
  }
  struct stat st {};
  std::string text;
  bool read_ok = ::fstat(fd, &st) == 0;
  if (read_ok && (st.st_mode & 077) == 0) {
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 65536) {
      text.append(buf, static_cast<std::size_t>(n));
    }
    read_ok = n == 0;
  }
  const int saved = errno;
  ::close(fd);
  if (read_ok && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return make_error("credentials_unreadable",
                      path + " can be read by other users (mode " + mode +
                          "): it holds the device's secret key; run chmod 600 " + path);
  }
  if (!read_ok) {
    return make_error("credentials_unreadable", path + ": " + errno_text(saved));
  }
  // A key file without the portal's URL is an enrolment cut short: not enrolled.
  if (portal_url.empty()) return std::optional<Credentials>();
  auto damaged = [&path](const std::string &why) {
    return make_error("credentials_unreadable",
                      path + " is damaged (" + why +
                          "): enrol again (comptoir enrol --force --portal URL --code CODE)");
  };
  Credentials c;
  c.portal_url = portal_url;
  try {
    const auto j = nlohmann::json::parse(text);
    c.device_id = j.at("device_id").get<std::string>();
    const auto pub = codes::from_hex(j.at("public_key").get<std::string>());
    const auto sec = codes::from_hex(j.at("secret_key").get<std::string>());
    if (c.device_id.empty()) return damaged("device_id is empty");
    if (!pub || pub->size() != c.key.public_key.size()) return damaged("public_key");
    if (!sec || sec->size() != c.key.secret_key.size()) return damaged("secret_key");
    std::copy(pub->begin(), pub->end(), c.key.public_key.begin());
    std::copy(sec->begin(), sec->end(), c.key.secret_key.begin());
    // libsodium's secret key ends with its public key: both halves must be one pair.
    if (!std::equal(c.key.public_key.begin(), c.key.public_key.end(),
                    c.key.secret_key.begin() + 32)) {
      return damaged("the public key does not match the secret key");
    }
  } catch (const std::exception &e) {
    return damaged(e.what());
  }
  return std::optional<Credentials>(std::move(c));
}

Result<void> save_credentials(const std::string &data_dir, const Credentials &credentials) {
  const std::string path = key_path(data_dir);
  const std::string tmp = path + ".tmp";
  const nlohmann::json j = {{"device_id", credentials.device_id},
                            {"public_key", codes::to_hex(credentials.key.public_key.data(),
                                                         credentials.key.public_key.size())},
                            {"secret_key", codes::to_hex(credentials.key.secret_key.data(),
                                                         credentials.key.secret_key.size())}};
  const std::string text = j.dump(1) + "\n";
  auto failed = [&](const std::string &what) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return make_error(
        "credentials_unwritable",
        what + ": " + errno_text(e) + " (is the data directory writable? disk full?)");
  };
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return failed(tmp);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      errno = e;
      return failed(tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  // Written and on disk before it replaces anything, then the rename made durable.
  if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return failed(tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return failed(path);
  const int dir = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

// --- Backoff ------------------------------------------------------------------------------

std::int64_t backoff_delay_ms(int failures, const SyncSettings &settings, std::mt19937_64 &rng) {
  const std::int64_t cap_ms = std::int64_t{std::max(settings.backoff_cap_s, 0)} * 1000;
  std::int64_t ceiling = std::int64_t{std::max(settings.backoff_base_s, 0)} * 1000;
  for (int i = 0; i < failures && ceiling < cap_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap_ms);
  if (ceiling <= 0) return 0;
  return std::uniform_int_distribution<std::int64_t>(0, ceiling)(rng);
}

// --- The agent ----------------------------------------------------------------------------

struct SyncAgent::Impl {
  Impl(std::string path, Credentials c, SyncSettings s, const Clock &k)
      : db_path(std::move(path)), credentials(std::move(c)), settings(std::move(s)), clock(k) {
    settings.page_orders = std::clamp<std::size_t>(settings.page_orders, 1, wire::kMaxPageOrders);
    settings.push_batch = std::clamp<std::size_t>(settings.push_batch, 1, wire::kMaxPushEvents);
  }

  std::string db_path;
  Credentials credentials;
  SyncSettings settings;
  const Clock &clock;
  db::Connection conn;
  std::unique_ptr<db::SyncStore> store;  // over conn
  std::atomic<bool> abort{false};
  std::unique_ptr<HttpClient> http;  // reads `abort`

  std::mutex round_mutex;  // one round at a time
  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::optional<SteadyClock::time_point> notified_at;
  std::thread thread;
  std::function<void()> on_change;
  FinishEnrolment finish_enrolment;  // set while an offline bundle's enrolment is pending
  SyncReport last;
  std::int64_t next_delay = 0;
  int failures = 0;
  std::mt19937_64 rng{std::random_device{}()};
  std::string last_logged;               // the error code last logged: a repeated failure is not
  std::set<std::string> refused_logged;  // events the portal refused alone, logged once

  // Per round.
  std::int64_t offset_ms = 0;
  const ProgressFn *progress = nullptr;  // sync_once(progress) only
  void report_progress(SyncProgress::Phase phase, const SyncReport &r,
                       std::optional<std::int64_t> remaining = std::nullopt) const {
    if (progress && *progress) {
      (*progress)(SyncProgress{phase, r.pushed, r.pages, r.orders, remaining});
    }
  }

  Result<HttpResponse> call(const std::string &method, const std::string &target,
                            const std::string &body, SyncReport &r);
  Error refused(const HttpResponse &response, const std::string &what, SyncReport &r) const;
  Error invalid(const std::string &what, const Error &e) const;
  // What a round's push leaves for the rest of the round.
  struct PushRound {
    std::set<std::int64_t> skipped;  // seqs of events the portal refused alone
    std::optional<Error> error;      // the first refusal: the pull still runs, then it is told
  };
  // true when every event sent was acknowledged or set aside (the next batch may go).
  Result<bool> send_batch(const std::vector<db::HandoverEvent> &events, PushRound &round,
                          SyncReport &r);
  Result<void> push(PushRound &round, SyncReport &r);
  Result<void> pull(SyncReport &r);
  SyncReport round();
  void record(const SyncReport &r);
  void run();
};

Result<HttpResponse> SyncAgent::Impl::call(const std::string &method, const std::string &target,
                                           const std::string &body, SyncReport &r) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    const std::int64_t ts = clock.wall_ms() + offset_ms;
    request.headers.emplace_back(
        "Authorization", wire::sign_request(credentials.key.secret_key, credentials.device_id,
                                            method, target, ts, body));
    auto response = http->send(request);
    if (!response) return response.error();
    r.reached = true;
    r.bytes_sent += response->bytes_sent;
    r.bytes_received += response->bytes_received;
    if (response->status == 401 && attempt == 0) {
      // Our clock is off: keep the portal's time as an offset and sign again, once.
      auto body_error = wire::parse_error_body(response->body);
      if (body_error && body_error->error == "clock_skew" && body_error->portal_time_ms) {
        offset_ms = *body_error->portal_time_ms - clock.wall_ms();
        log_line("the portal's clock differs from ours by " + std::to_string(offset_ms) +
                 " ms: requests are signed with its time from now on");
        if (auto w = store->set_state(db::sync_key::kClockOffsetMs, std::to_string(offset_ms));
            !w) {
          return w.error();
        }
        continue;
      }
    }
    return response;
  }
}

Error SyncAgent::Impl::refused(const HttpResponse &response, const std::string &what,
                               SyncReport &r) const {
  std::string code;
  std::string message;
  if (auto body = wire::parse_error_body(response.body)) {
    code = body->error;
    message = body->message;
  }
  std::string detail = what + ": the portal answered " + std::to_string(response.status);
  if (!code.empty()) detail += " " + code;
  if (!message.empty()) detail += " (" + message + ")";
  if (!response.retry_after.empty()) {
    if (auto s = parse_int(response.retry_after); s && *s >= 0) {
      r.retry_after_ms = std::min(*s * 1000, kMaxRetryAfterMs);
    }
  }
  if (code == "clock_skew") {
    return make_error("portal_refused",
                      detail +
                          ": the portal still finds this appliance's clock more than 5 "
                          "minutes off after correcting it; check the date and time here. "
                          "The events are kept");
  }
  if (response.status == 401 || response.status == 403) {
    return make_error("portal_refused",
                      detail +
                          ": the portal does not accept this device any more; the events "
                          "are kept. Enrol it again (comptoir enrol --force --portal URL "
                          "--code CODE) with a new code from the portal's admin");
  }
  if (response.status == 429 || response.status >= 500) {
    return make_error("portal_error", detail + ": the portal is busy or failing; retried later");
  }
  if (code.empty()) {
    return make_error("portal_error", detail +
                                          ": not a Comptoir portal's answer (is the portal "
                                          "URL right?)");
  }
  return make_error("portal_error",
                    detail +
                        ": the portal refused the request; retried later; if it lasts, "
                        "tell the portal's admin");
}

Error SyncAgent::Impl::invalid(const std::string &what, const Error &e) const {
  // Always logged: a portal sending what we cannot read is for its admin to fix.
  log_line("the portal's answer to " + what + " is malformed: " + e.detail);
  return make_error("portal_invalid", what + ": the answer is malformed (" + e.detail +
                                          "); nothing of it was applied, retried later");
}

// A push answer that is not a refusal of the whole round: a batch the portal would not take
// (400, 413) is split to find the event(s) it refuses, and an event refused alone is set
// aside for the rest of the round so that it cannot hold back the others. It stays in the
// outbox (a row goes only on its ack) and is tried again next round.
Result<bool> SyncAgent::Impl::send_batch(const std::vector<db::HandoverEvent> &events,
                                         PushRound &round, SyncReport &r) {
  const std::string target(kEventsTarget);
  const std::string what = "POST " + target;
  if (abort.load()) return make_error("aborted", "the agent is stopping");
  wire::PushRequest request;
  std::vector<std::int64_t> seqs;
  std::set<std::string> sent;
  request.events.reserve(events.size());
  for (const auto &event : events) {
    seqs.push_back(event.seq);
    sent.insert(event.uuid);
    request.events.push_back(to_wire(event));
  }
  if (auto m = store->mark_attempt(seqs, clock.wall_ms()); !m) return m.error();
  auto response = call("POST", target, wire::to_json(request), r);
  if (!response) return response.error();
  const bool refused_batch = response->status == 400 || response->status == 413;
  if (refused_batch && round.skipped.size() >= kMaxRefusedAlone) {
    // A portal refusing everything (a protocol mismatch) would cost two requests an event:
    // after a few, the push stops for this round and the pull goes on.
    if (!round.error) round.error = refused(*response, what, r);
    return false;
  }
  if (refused_batch && events.size() > 1) {
    // Halves, down to single events: only the event(s) refused are set aside.
    const auto middle = events.begin() + static_cast<std::ptrdiff_t>(events.size() / 2);
    auto first = send_batch(std::vector<db::HandoverEvent>(events.begin(), middle), round, r);
    if (!first || !*first) return first;
    return send_batch(std::vector<db::HandoverEvent>(middle, events.end()), round, r);
  }
  if (refused_batch) {
    const db::HandoverEvent &event = events.front();
    const Error why = refused(*response, what, r);
    round.skipped.insert(event.seq);
    const std::string detail = "event " + event.uuid + " (order " + std::to_string(event.order_id) +
                               ") refused alone: " + why.detail +
                               "; it stays in the outbox, the other events go on";
    // Once per event while the agent runs: a refusal repeats every round.
    if (refused_logged.insert(event.uuid).second) log_line(detail);
    if (!round.error) round.error = make_error(why.code, detail);
    return true;
  }
  if (response->status != 200) {
    Error why = refused(*response, what, r);
    // Refused as a device (401/403), or asked to wait (429, Retry-After): the pull would be
    // refused the same way or would not heed the wait. Otherwise the pull still runs.
    if (response->status == 401 || response->status == 403 || response->status == 429 ||
        !response->retry_after.empty()) {
      return why;
    }
    if (!round.error) round.error = std::move(why);
    return false;
  }
  auto parsed = wire::parse_push_response(response->body);
  if (!parsed) {
    if (!round.error) round.error = invalid(what, parsed.error());
    return false;
  }
  // Only what was sent can be acknowledged: an ack of anything else is the portal's mistake,
  // reported, while the acks of what was sent are applied.
  std::vector<db::Acknowledgement> acks;
  std::vector<std::string> stray;
  for (const auto &ack : parsed->acks) {
    if (sent.count(ack.uuid) == 0) {
      stray.push_back(ack.uuid);
      continue;
    }
    acks.push_back(db::Acknowledgement{ack.uuid, join_conflicts(ack.conflicts)});
    ++r.pushed;
    if (ack.duplicate) ++r.duplicates;
    if (!ack.conflicts.empty()) ++r.conflicts;
  }
  auto gone = store->acknowledge(acks, clock.wall_ms());
  if (!gone) return gone.error();
  report_progress(SyncProgress::Phase::push, r);
  if (!acks.empty()) {
    if (auto w = store->set_state(db::sync_key::kLastPushMs, std::to_string(clock.wall_ms())); !w) {
      return w.error();
    }
  }
  if (!stray.empty()) {
    std::string list;
    for (const auto &uuid : stray) list += (list.empty() ? "" : ", ") + uuid;
    const Error e = invalid(
        what, make_error("wire_invalid", "acks: " + list + " not in the batch sent (the " +
                                             std::to_string(acks.size()) + " others applied)"));
    if (!round.error) round.error = e;
    return false;
  }
  // An event the portal did not acknowledge would come first in the next batch again.
  return *gone == static_cast<std::int64_t>(events.size());
}

Result<void> SyncAgent::Impl::push(PushRound &round, SyncReport &r) {
  for (;;) {
    if (abort.load()) return make_error("aborted", "the agent is stopping");
    // The events set aside are the oldest left: reading that many more still fills a batch.
    auto batch = store->outbox_batch(settings.push_batch + round.skipped.size());
    if (!batch) return batch.error();
    std::vector<db::HandoverEvent> events;
    for (auto &event : *batch) {
      if (round.skipped.count(event.seq) == 0 && events.size() < settings.push_batch) {
        events.push_back(std::move(event));
      }
    }
    if (events.empty()) return {};
    auto whole = send_batch(events, round, r);
    if (!whole) return whole.error();
    // Another batch only after a full one wholly acknowledged or set aside.
    if (!*whole || events.size() < settings.push_batch) return {};
  }
}

Result<void> SyncAgent::Impl::pull(SyncReport &r) {
  auto saved = store->state(db::sync_key::kCursor);
  if (!saved) return saved.error();
  std::string cursor = saved->value_or("");
  bool restarted = false;
  for (;;) {
    if (abort.load()) return make_error("aborted", "the agent is stopping");
    const std::string target = std::string(kChangesTarget) + "?cursor=" + url_encode(cursor) +
                               "&limit=" + std::to_string(settings.page_orders);
    const std::string what = "GET " + target;
    auto response = call("GET", target, {}, r);
    if (!response) return response.error();
    if (response->status == 410 && !restarted) {
      auto body = wire::parse_error_body(response->body);
      if (body && body->error == "cursor_expired") {
        // Upserts make starting over safe; once per round, in case the portal says it again.
        log_line("the portal no longer knows cursor \"" + cursor + "\": pulling from the start");
        restarted = true;
        cursor.clear();
        continue;
      }
    }
    if (response->status != 200) return refused(*response, what, r);
    // One page at a time: parsed, applied, dropped.
    std::string body = std::move(response->body);
    auto page = wire::parse_changes_page(body);
    body = std::string();
    if (!page) return invalid(what, page.error());
    auto applied = apply_page(conn, *page, clock.wall_ms());
    if (!applied) {
      if (applied.error().code == "page_inconsistent") return invalid(what, applied.error());
      return applied.error();
    }
    ++r.pages;
    r.orders += applied->orders;
    r.keys_replaced = r.keys_replaced || applied->keys_replaced;
    report_progress(SyncProgress::Phase::pull, r, page->remaining);
    if (!page->more) {
      r.complete = true;
      return {};
    }
    if (page->cursor == cursor) {
      return invalid(what, make_error("wire_invalid", "more: true with the cursor unchanged (\"" +
                                                          cursor + "\"): it would never end"));
    }
    cursor = page->cursor;
  }
}

SyncReport SyncAgent::Impl::round() {
  std::lock_guard round_lock(round_mutex);
  const auto start = SteadyClock::now();
  SyncReport r;
  // An enrolment begun by an offline bundle is finished first (sync/pending_enrolment.cpp).
  Result<void> enrolled;
  if (credentials.device_id.empty()) {
    auto c = finish_enrolment ? finish_enrolment(&r.reached, &abort)
                              : Result<Credentials>(make_error("not_enrolled", "no device id"));
    if (c) {
      credentials = std::move(*c);
    } else {
      enrolled = c.error();
    }
  }
  offset_ms = 0;
  if (auto o = store->state(db::sync_key::kClockOffsetMs); o && *o) {
    offset_ms = parse_int(**o).value_or(0);
  }
  // A push refused by the portal (not the network) does not stop the pull: orders,
  // cancellations and key rotations keep coming; the refusal is what the round reports.
  PushRound pushed;
  Result<void> done = enrolled ? push(pushed, r) : enrolled;
  if (done) done = pull(r);
  if (done && r.complete) {
    // collected_at_ms is the portal's time, the ledger's wall_ms this appliance's.
    const std::int64_t days_ms = std::int64_t{settings.purge_names_after_days} * 86'400'000;
    const std::int64_t wall = clock.wall_ms();
    if (auto p = store->purge_customer_names(wall + offset_ms - days_ms, wall - days_ms); !p) {
      done = p.error();
    }
  }
  if (done && pushed.error) done = *pushed.error;
  r.ok = done.ok();
  if (!r.ok) r.error = done.error();
  r.duration_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  record(r);
  return r;
}

// What the screens read: sync_state, in one transaction. A round cut by stop() is not
// recorded (the process is ending; the previous state stays true enough).
void SyncAgent::Impl::record(const SyncReport &r) {
  if (!r.ok && r.error.code == "aborted") return;
  // A failure is logged when it starts (a malformed answer was logged already, in full).
  if (!r.ok && r.error.code != last_logged && r.error.code != "portal_invalid") {
    log_line(r.error.code + ": " + r.error.detail);
  }
  last_logged = r.ok ? std::string() : r.error.code;
  std::optional<std::string> link;
  if (r.reached) {
    link = "online";
  } else if (!r.ok && network_error(r.error.code)) {
    link = "offline";
  }
  db::Transaction tx(conn);
  auto write = [&]() -> Result<void> {
    if (!tx.began()) return tx.begin_error();
    if (link) {
      if (auto w = store->set_state(db::sync_key::kLink, *link); !w) return w;
    }
    for (const auto &[key, value] :
         {std::pair{db::sync_key::kLastAttemptMs, std::to_string(clock.wall_ms())},
          std::pair{db::sync_key::kLastError, r.ok ? std::string() : r.error.code},
          std::pair{db::sync_key::kLastErrorDetail, r.ok ? std::string() : r.error.detail}}) {
      if (auto w = store->set_state(key, value); !w) return w;
    }
    return tx.commit();
  };
  if (auto w = write(); !w) log_line("could not record the round's outcome: " + w.error().detail);
}

void SyncAgent::Impl::run() {
  auto next = SteadyClock::now();  // the first round at once
  for (;;) {
    {
      std::unique_lock lock(mutex);
      for (;;) {
        if (stopping) return;
        auto deadline = next;
        // A handover while all is well: pushed within push_delay_ms. While failing, the
        // backoff holds (the portal or the link is what is wrong).
        if (notified_at && failures == 0) {
          deadline =
              std::min(deadline, *notified_at + std::chrono::milliseconds(settings.push_delay_ms));
        }
        if (SteadyClock::now() >= deadline) break;
        wake.wait_until(lock, deadline);
      }
      notified_at.reset();  // this round pushes what was recorded until now
    }
    SyncReport r = round();
    if (!r.ok && r.error.code == "aborted") return;
    std::function<void()> changed;
    {
      std::lock_guard lock(mutex);
      failures = r.ok ? 0 : failures + 1;
      next_delay = r.ok ? std::int64_t{settings.interval_s} * 1000
                        : std::max(backoff_delay_ms(failures, settings, rng), r.retry_after_ms);
      last = r;
      changed = on_change;
      next = SteadyClock::now() + std::chrono::milliseconds(next_delay);
    }
    if (changed) changed();
  }
}

SyncAgent::SyncAgent(std::string db_path, Credentials credentials, SyncSettings settings,
                     const Clock &clock)
    : impl_(std::make_unique<Impl>(std::move(db_path), std::move(credentials), std::move(settings),
                                   clock)) {}

Result<std::unique_ptr<SyncAgent>> SyncAgent::create(const std::string &db_path,
                                                     Credentials credentials, SyncSettings settings,
                                                     const Clock &clock) {
  // Checked here, where it can be reported, rather than on the agent's thread.
  if (!wire::sodium_ready()) {
    return make_error("crypto_unavailable",
                      "libsodium could not be initialised: requests cannot be signed");
  }
  std::unique_ptr<SyncAgent> agent(
      new SyncAgent(db_path, std::move(credentials), std::move(settings), clock));
  Impl &impl = *agent->impl_;
  // The cache exists (Database::open made it and set WAL): a plain read-write connection.
  auto conn = db::Connection::open(db_path, SQLITE_OPEN_READWRITE);
  if (!conn) return conn.error();
  impl.conn = std::move(*conn);
  // Per-connection settings, as Database::open sets them on its own.
  for (const char *pragma :
       {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA recursive_triggers=ON"}) {
    if (auto r = impl.conn.exec(pragma); !r) return r.error();
  }
  impl.store = std::make_unique<db::SyncStore>(impl.conn);
  HttpOptions options;
  options.base_url = impl.credentials.portal_url;
  options.ca_file = impl.settings.ca_file;
  options.insecure = impl.settings.insecure;
  options.connect_timeout_s = impl.settings.connect_timeout_s;
  options.stall_seconds = impl.settings.stall_s;
  options.abort = &impl.abort;
  auto http = HttpClient::create(std::move(options));
  if (!http) return http.error();
  impl.http = std::move(*http);
  return agent;
}

SyncAgent::~SyncAgent() {
  stop();
}

SyncReport SyncAgent::sync_once() {
  return sync_once(ProgressFn());
}

SyncReport SyncAgent::sync_once(const ProgressFn &progress) {
  impl_->progress = &progress;
  SyncReport r = impl_->round();
  impl_->progress = nullptr;
  std::lock_guard lock(impl_->mutex);
  impl_->last = r;
  return r;
}

void SyncAgent::start(std::function<void()> on_change) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->thread.joinable()) return;
  impl_->on_change = std::move(on_change);
  impl_->stopping = false;
  impl_->abort.store(false);
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

void SyncAgent::set_finish_enrolment(FinishEnrolment finish) {
  std::lock_guard round_lock(impl_->round_mutex);
  impl_->finish_enrolment = std::move(finish);
}

void SyncAgent::notify() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->notified_at) impl_->notified_at = SteadyClock::now();
  }
  impl_->wake.notify_all();
}

void SyncAgent::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->thread.joinable()) return;
    impl_->stopping = true;
  }
  impl_->abort.store(true);
  impl_->wake.notify_all();
  impl_->thread.join();
  impl_->abort.store(false);
}

SyncReport SyncAgent::last_report() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last;
}

std::int64_t SyncAgent::next_delay_ms() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->next_delay;
}

}  // namespace comptoir::sync
