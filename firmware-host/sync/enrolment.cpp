// Enrolment (docs/protocol.md, "Enrolment"): a new key pair, the one-time code sent to the
// portal, and on its yes the key file, then the settings, stands and key ring in one
// transaction. On any no, nothing is written.
#include "sync/enrolment.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "db/order_cache.hpp"
#include "db/sync_store.hpp"
#include "runtime/appliance.hpp"
#include "sync/convert.hpp"
#include "sync/device_auth.hpp"
#include "sync/http_client.hpp"

namespace comptoir::sync {
namespace {

constexpr std::string_view kEnrolPath = "/api/v1/enrol";
constexpr std::size_t kCodeSymbols = 12;

// Crockford Base32 as people type it: no case, dashes or spaces; I and L are 1, O is 0.
std::optional<std::string> normalise_code(std::string_view text) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out;
  for (char ch : text) {
    if (ch == '-' || ch == ' ' || ch == '\t') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (c == 'I' || c == 'L') c = '1';
    if (c == 'O') c = '0';
    if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    out += c;
  }
  if (out.size() != kCodeSymbols) return std::nullopt;
  return out;
}

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "comptoir";
  return std::string(buf).substr(0, wire::kMaxTextBytes);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i] == '+' ? ' ' : text[i];
  }
  return out;
}

// The portal's "no" to an enrolment, as our error codes with the next step.
Error enrol_refused(const HttpResponse &response, const std::string &portal) {
  std::string code;
  std::string message;
  if (auto body = wire::parse_error_body(response.body)) {
    code = body->error;
    message = body->message;
  }
  const std::string said = "the portal " + portal + " answered " + std::to_string(response.status) +
                           (code.empty() ? "" : " " + code) +
                           (message.empty() ? "" : " (" + message + ")");
  if (code == "not_found") {
    return make_error("bad_code", said +
                                      ": it does not know this code; check it, or ask the "
                                      "portal's admin for a new one");
  }
  if (code == "code_used") {
    return make_error("code_used", said +
                                       ": this code has enrolled a device already; ask the "
                                       "portal's admin for a new one");
  }
  if (code == "code_expired") {
    return make_error("code_expired", said +
                                          ": codes are valid 24 hours; ask the portal's admin "
                                          "for a new one");
  }
  if (code == "bad_request") {
    return make_error("bad_code", said +
                                      ": check the code, or ask the portal's admin for a new "
                                      "one");
  }
  if (response.status == 404 || code.empty()) {
    return make_error("portal_error", said +
                                          ": is this the portal's address? It should be the "
                                          "URL the admin gave, e.g. https://portal.example.org");
  }
  if (response.status == 429 || response.status >= 500) {
    return make_error("portal_error", said +
                                          ": the portal is busy or failing; try again in a "
                                          "few minutes");
  }
  return make_error("portal_refused", said + ": ask the portal's admin");
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_enrol_url(const std::string &text) {
  std::string_view t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())) != 0) t.remove_suffix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front())) != 0) {
    t.remove_prefix(1);
  }
  const std::string scheme_lower = [&] {
    std::string s(t.substr(0, 8));
    for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }();
  if (scheme_lower.rfind("http://", 0) != 0 && scheme_lower.rfind("https://", 0) != 0) {
    return std::nullopt;
  }
  const std::string marker = std::string(kEnrolPath) + "?";
  const auto at = t.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view portal = t.substr(0, at);
  if (portal.find("://") + 3 >= portal.size()) return std::nullopt;  // no host
  std::string_view query = t.substr(at + marker.size());
  if (const auto hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    if (item.substr(0, 5) == "code=") {
      std::string code = url_decode(item.substr(5));
      if (code.empty()) return std::nullopt;
      return std::pair{std::string(portal), std::move(code)};
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

Result<EnrolTarget> check_enrol_options(const EnrolOptions &options) {
  std::string portal = options.portal_url;
  std::string typed = options.code;
  if (auto qr = parse_enrol_url(options.code)) {
    if (portal.empty()) portal = qr->first;
    typed = qr->second;
  }
  while (!portal.empty() && portal.back() == '/') portal.pop_back();
  if (portal.empty()) {
    return make_error("bad_url",
                      "no portal URL: give --portal https://portal.example.org, or "
                      "scan the enrolment QR code, which holds it");
  }
  if (auto r = check_portal_url(portal, options.settings.insecure); !r) return r.error();
  auto code = normalise_code(typed);
  if (!code) {
    return make_error("bad_code", "\"" + typed +
                                      "\" is not an enrolment code: it has 12 letters and digits, "
                                      "like K7QM-9X2D-F3A4; check it with the portal's admin");
  }
  return EnrolTarget{std::move(portal), std::move(*code)};
}

Result<void> check_not_enrolled(db::Database &db, const std::string &data_dir,
                                const EnrolOptions &options) {
  if (options.force) return {};
  auto current_url = db.setting(db::kSettingPortalUrl);
  if (!current_url) return current_url.error();
  auto current = load_credentials(data_dir, current_url->value_or(""));
  // A key file that cannot be read (damaged, too open) may still be this appliance's
  // identity: not overwritten without --force.
  if (!current) return current.error();
  if (*current) {
    return make_error("already_enrolled",
                      "this appliance is already enrolled with " + (*current)->portal_url + " as " +
                          (*current)->device_id +
                          "; to enrol it again (a new portal, or a new key), add --force");
  }
  return {};
}

Result<EnrolGrant> request_enrolment(const EnrolOptions &options) {
  auto target = check_enrol_options(options);
  if (!target) return target.error();
  const std::string &portal = target->portal;

  EnrolGrant grant;
  grant.portal = portal;
  if (!wire::sodium_ready()) {  // generate_key_pair would throw
    return make_error("crypto_unavailable",
                      "libsodium could not be initialised: no device key can be made");
  }
  grant.key = options.key ? *options.key : codes::generate_key_pair();
  wire::EnrolRequest request;
  request.code = target->code;
  request.device_key = grant.key.public_key;
  request.name = options.name.empty() ? host_name() : options.name.substr(0, wire::kMaxTextBytes);

  HttpOptions http_options;
  http_options.base_url = portal;
  http_options.ca_file = options.settings.ca_file;
  http_options.insecure = options.settings.insecure;
  http_options.connect_timeout_s = options.settings.connect_timeout_s;
  http_options.stall_seconds = options.settings.stall_s;
  http_options.abort = options.abort;
  auto http = HttpClient::create(http_options);
  if (!http) return http.error();
  HttpRequest post;
  post.method = "POST";
  post.target = std::string(kEnrolPath);
  post.body = wire::to_json(request);
  auto response = (*http)->send(post);
  if (!response) return response.error();
  if (response->status != 200) return enrol_refused(*response, portal);
  auto answer = wire::parse_enrol_response(response->body);
  if (!answer) {
    return make_error("portal_invalid", "the portal's answer to POST " + std::string(kEnrolPath) +
                                            " is malformed (" + answer.error().detail +
                                            "); nothing was written; tell the portal's admin");
  }
  grant.answer = std::move(*answer);
  const auto &stands = grant.answer.stands;
  if (options.stand) {
    const auto it = std::find_if(stands.begin(), stands.end(),
                                 [&](const wire::Stand &s) { return s.id == *options.stand; });
    if (it == stands.end()) {
      std::string served;
      for (const auto &s : stands) {
        served += (served.empty() ? "" : ", ") + std::to_string(s.id) + " (" + s.name + ")";
      }
      return make_error("stand_not_enrolled",
                        "the code enrols stand(s) " + served + ", not stand " +
                            std::to_string(*options.stand) +
                            "; nothing was written, and the code is used: ask the portal's "
                            "admin for a new code for stand " +
                            std::to_string(*options.stand) + ", or leave --stand out");
    }
    grant.stand = *it;
  } else {
    grant.stand = stands.front();  // the parser guarantees at least one
  }
  return grant;
}

std::string portal_key_hex(const EnrolGrant &grant) {
  const codes::PublicKey &key = grant.answer.portal_key;
  if (std::all_of(key.begin(), key.end(), [](unsigned char b) { return b == 0; })) return {};
  return codes::to_hex(key.data(), key.size());
}

Result<void> check_portal_key(db::Database *db, const EnrolOptions &options,
                              const EnrolGrant &grant) {
  if (options.force) return {};
  std::string pinned;
  std::string where;
  if (db) {
    auto setting = db->setting(db::kSettingPortalKey);
    if (!setting) return setting.error();
    if (*setting && !(*setting)->empty()) {
      pinned = **setting;
      where = "the data directory";
    }
  }
  if (pinned.empty() && !options.settings.portal_key.empty()) {
    pinned = options.settings.portal_key;
    where = "[sync] portal_key in the config";
  }
  if (pinned.empty()) return {};
  std::string lower = pinned;
  for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string answered = portal_key_hex(grant);
  if (lower == answered) return {};
  return make_error("portal_key_mismatch",
                    "this portal (" + grant.portal + ", key " +
                        (answered.empty() ? std::string("none") : answered.substr(0, 16) + "...") +
                        ") is not the one this appliance is pinned to (" + where + ": " +
                        lower.substr(0, 16) +
                        "...); nothing was written, but the code is used. If the portal really "
                        "moved, remove [sync] portal_key from the config and enrol with --force "
                        "and a new code");
}

Result<EnrolResult> write_enrolment(db::Database &db, const std::string &data_dir,
                                    const EnrolGrant &grant, const Clock &clock) {
  const wire::EnrolResponse &answer = grant.answer;
  EnrolResult result;
  result.portal_name = answer.portal_name;
  result.stands = answer.stands.size();
  result.keys = answer.keys.size();
  result.portal_key = portal_key_hex(grant);
  result.stand = grant.stand;
  result.credentials.portal_url = grant.portal;
  result.credentials.device_id = answer.device_id;
  result.credentials.key = grant.key;

  // The key file first: settings naming a portal without it would be an enrolment that
  // cannot sign; a key file without the settings is "not enrolled" (load_credentials).
  if (auto w = save_credentials(data_dir, result.credentials); !w) return w.error();
  db::Connection &conn = db.connection();
  db::Transaction tx(conn);
  if (!tx.began()) return tx.begin_error();
  const std::int64_t now = clock.wall_ms();
  for (const auto &[key_name, value] :
       {std::pair<std::string, std::string>{db::kSettingPortalUrl, grant.portal},
        {db::kSettingPortalName, answer.portal_name},
        {kSettingDevice, answer.device_id},
        // Pinned: bundles and the next enrolment are checked against it ("" when the portal
        // sent no identity key: a key pinned for another portal must not stay).
        {db::kSettingPortalKey, portal_key_hex(grant)},
        {kSettingStand, std::to_string(result.stand.id)}}) {
    if (auto w = db.set_setting(key_name, value); !w) return w.error();
  }
  db::OrderCache cache(conn);
  for (const auto &stand : answer.stands) {
    if (auto w = cache.put_stand(to_db(stand)); !w) return w.error();
  }
  db::SyncStore store(conn);
  std::vector<db::StoredKey> keys;
  for (const auto &k : answer.keys) keys.push_back(to_db(k));
  if (auto w = store.replace_keys(keys); !w) return w.error();
  // A new identity: the next pull starts from the beginning (its stands may differ), signed
  // with the portal's clock as it just told us; the previous link state no longer holds.
  for (const auto &[key_name, value] :
       {std::pair<std::string, std::string>{db::sync_key::kCursor, ""},
        {db::sync_key::kClockOffsetMs, std::to_string(answer.portal_time_ms - now)},
        {db::sync_key::kLink, "unknown"},
        {db::sync_key::kLastError, ""},
        {db::sync_key::kLastErrorDetail, ""}}) {
    if (auto w = store.set_state(key_name, value); !w) return w.error();
  }
  if (auto c = tx.commit(); !c) return c.error();
  return result;
}

Result<EnrolResult> enrol(db::Database &db, const std::string &data_dir,
                          const EnrolOptions &options, const Clock &clock) {
  // The local checks before the database is read, which is before the code is sent: an
  // enrolment refused here never uses up the code.
  if (auto target = check_enrol_options(options); !target) return target.error();
  if (auto r = check_not_enrolled(db, data_dir, options); !r) return r.error();
  auto grant = request_enrolment(options);
  if (!grant) return grant.error();
  if (auto pinned = check_portal_key(&db, options, *grant); !pinned) return pinned.error();
  return write_enrolment(db, data_dir, *grant, clock);
}

}  // namespace comptoir::sync
