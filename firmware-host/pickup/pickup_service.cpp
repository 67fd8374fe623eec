#include "pickup/pickup_service.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <variant>

#include "runtime/local_time.hpp"
#include "runtime/uuid.hpp"

namespace comptoir {
namespace {

// Why an order of the day needs a person, or "" when it does not: the last handover left
// lines missing; a refusal and no handover standing after it; cancelled; no-show, once a
// scan would no longer hand it over (its window and the late grace are over: the list
// must not call someone absent whom the counter would still serve).
std::string day_problem(const OrderListItem &item, const db::Order &order,
                        const std::vector<db::HandoverEvent> &events, const ScanContext &context) {
  if (item.collected) return item.partial ? "partial" : "";
  // Not collected, so no handover stands: one after the refusal was undone, which puts
  // the refusal back in force.
  const bool refused = std::any_of(events.begin(), events.end(), [](const db::HandoverEvent &e) {
    return e.kind == db::EventKind::refused;
  });
  if (refused) return "refused";
  if (order.status == db::OrderStatus::cancelled) return "cancelled";
  if (item.kind == VerdictKind::expired ||
      order.pickup_until + context.policy.late_grace_s < context.now_s) {
    return "no_show";
  }
  return "";
}

// A time the sync agent wrote in sync_state; anything but a whole number of ms means
// "unknown", not an error that would keep the kiosk from starting.
std::optional<std::int64_t> time_ms(const std::optional<std::string> &text) {
  if (!text) return std::nullopt;
  std::int64_t ms = 0;
  const char *first = text->data();
  const char *last = first + text->size();
  const auto [end, ec] = std::from_chars(first, last, ms);
  if (ec != std::errc() || end != last || ms < 0) return std::nullopt;
  return ms;
}

}  // namespace

PickupService::PickupService(db::Database &db, const Clock &clock, Identity identity, Policy policy)
    : cache_(db.connection()),
      ledger_(db.connection()),
      key_store_(db.connection()),
      database_(db),
      sync_store_(db.connection()),
      clock_(clock),
      identity_(std::move(identity)),
      policy_(policy) {
  // Without keys every token reads as unknown_key ("synchronise"), which is what staff
  // should be told; the error itself shows again at the next reload.
  (void)reload_keys();
}

Result<void> PickupService::reload_keys() {
  auto stored = key_store_.all();
  if (!stored) return stored.error();
  codes::KeyRing ring;
  for (const db::StoredKey &k : *stored) {
    ring.keys.push_back(
        {static_cast<std::uint16_t>(k.key_id), k.public_key, k.valid_from, k.valid_until});
  }
  keys_ = std::move(ring);
  return {};
}

ScanContext PickupService::context() const {
  return ScanContext{identity_.stand_id, clock_.wall_ms() / 1000, policy_};
}

Result<OrderFacts> PickupService::facts_for(const db::Order &order, bool in_cache) {
  OrderFacts facts{order, std::nullopt, {}, in_cache};
  auto events = ledger_.events_for_order(order.id);
  if (!events) return events.error();
  facts.events = std::move(*events);
  if (order.stand_id != identity_.stand_id) {
    auto stand = cache_.stand(order.stand_id);
    if (!stand) return stand.error();
    if (*stand) facts.order_stand = StandRef{(*stand)->id, (*stand)->name, (*stand)->place};
  }
  return facts;
}

Result<std::optional<OrderFacts>> PickupService::lookup(const codes::ScannedCode &code) {
  Result<std::optional<db::Order>> order = std::optional<db::Order>();
  const auto *token = std::get_if<codes::SignedTokenScan>(&code);
  if (const auto *s = std::get_if<codes::ShortCodeScan>(&code)) {
    order = cache_.find_by_short_code(static_cast<std::int64_t>(s->value));
  } else if (const auto *n = std::get_if<codes::OrderNumberScan>(&code)) {
    order = cache_.find_by_number(n->number);
  } else if (token != nullptr && token->status == codes::TokenStatus::ok) {
    order = cache_.find_by_id(static_cast<std::int64_t>(token->fields.order_id));
  }
  if (!order) return order.error();
  if (!*order && token != nullptr && token->status == codes::TokenStatus::ok) {
    // Genuine, but placed after the last sync: the token is all we know.
    remember_unsynced(token->fields);
    auto facts = facts_for(order_from_token(token->fields), false);
    if (!facts) return facts.error();
    return std::optional<OrderFacts>(std::move(*facts));
  }
  if (!*order) return std::optional<OrderFacts>();
  auto facts = facts_for(**order, true);
  if (!facts) return facts.error();
  return std::optional<OrderFacts>(std::move(*facts));
}

void PickupService::remember_unsynced(const codes::TokenFields &token) {
  std::erase_if(unsynced_,
                [&](const codes::TokenFields &t) { return t.order_id == token.order_id; });
  unsynced_.push_back(token);
  if (unsynced_.size() > 64) unsynced_.erase(unsynced_.begin());
}

bool PickupService::typed_entry_paused(std::int64_t mono_ns) const {
  return mono_ns < typed_paused_until_ns_;
}

void PickupService::count_typed_failure(std::int64_t mono_ns) {
  typed_failures_.push_back(mono_ns);
  while (!typed_failures_.empty() && mono_ns - typed_failures_.front() > kTypedFailureWindowNs) {
    typed_failures_.erase(typed_failures_.begin());
  }
  if (typed_failures_.size() >= kTypedFailuresAllowed) {
    typed_paused_until_ns_ = mono_ns + kTypedPauseNs;
    typed_failures_.clear();
  }
}

Result<Verdict> PickupService::scan(std::string_view text) {
  // A failed reload keeps the keys in use and is tried again on the next scan.
  if (keys_stale_.exchange(false) && !reload_keys()) keys_stale_.store(true);
  const std::int64_t mono = clock_.mono_ns();
  const codes::ScannedCode code = codes::parse_scan(text, keys_, clock_.wall_ms() / 1000);
  // Garbage is keyed by its text, so two different wrong barcodes are two scans.
  std::string key = codes::scan_key(code);
  if (std::holds_alternative<codes::NotACode>(code)) key.append(text.substr(0, 64));
  if (debouncer_.is_repeat(key, mono)) {
    Verdict repeat = last_verdict_;
    repeat.repeat = true;
    return repeat;
  }
  // Typed codes can be guessed; signed tokens cannot.
  const bool typed = std::holds_alternative<codes::ShortCodeScan>(code) ||
                     std::holds_alternative<codes::MistypedShortCode>(code) ||
                     std::holds_alternative<codes::OrderNumberScan>(code);
  Verdict v;
  if (typed && typed_entry_paused(mono)) {
    v.kind = VerdictKind::unknown;
    v.detail = "rate_limited";
  } else {
    auto facts = lookup(code);
    if (!facts) {
      // The filter has this code now, but no verdict for it: a double read must not replay
      // the previous customer's.
      debouncer_ = ScanDebouncer();
      // Found while serving, the damage is not the refused-at-start case: the file is in
      // use and holds the ledger, which was checked sound at start.
      if (facts.error().code == "database_corrupt") {
        return make_error("cache_damaged", facts.error().detail);
      }
      return facts.error();
    }
    v = validate(code, *facts, context());
    const bool failed = v.kind == VerdictKind::unknown || v.kind == VerdictKind::mistyped ||
                        v.detail == "no_such_order_number";
    if (typed && failed) count_typed_failure(mono);
  }
  v.scan_id = make_uuid_v7(clock_.wall_ms());
  scan_id_ = v.scan_id;
  scan_order_id_ = v.order ? v.order->id : 0;
  last_verdict_ = v;
  return v;
}

void PickupService::reset_double_read_filter() {
  debouncer_ = ScanDebouncer();
}

Result<Verdict> PickupService::check_order(std::string_view order_number) {
  // "#123456": an order known by its id only, from a signed token scanned before its sync.
  if (order_number.starts_with('#')) {
    std::int64_t id = 0;
    const std::string_view digits = order_number.substr(1);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), id).ec != std::errc() ||
        id <= 0) {
      return make_error("order_not_found", std::string(order_number));
    }
    auto order = cache_.find_by_id(id);
    if (!order) return order.error();
    if (*order) return check_order((*order)->number);
    for (const codes::TokenFields &t : unsynced_) {
      if (static_cast<std::int64_t>(t.order_id) != id) continue;
      auto facts = facts_for(order_from_token(t), false);
      if (!facts) return facts.error();
      return validate(codes::SignedTokenScan{t, codes::TokenStatus::ok, ""}, *facts, context());
    }
    return make_error("order_not_found", std::string(order_number));
  }
  const codes::ScannedCode code = codes::OrderNumberScan{std::string(order_number)};
  auto order = cache_.find_by_number(order_number);
  if (!order) return order.error();
  if (!*order) return make_error("order_not_found", std::string(order_number));
  auto facts = facts_for(**order, true);
  if (!facts) return facts.error();
  return validate(code, *facts, context());
}

// The scan's id until an event is written with it: a retry after a failed write (disk
// full) is the same event.
std::string PickupService::event_id_for(std::int64_t order_id) {
  if (!scan_id_.empty() && scan_order_id_ == order_id) return scan_id_;
  return make_uuid_v7(clock_.wall_ms());
}

Result<HandoverReceipt> PickupService::record(const db::HandoverEvent &event,
                                              std::string order_number) {
  auto seq = ledger_.append(event);
  if (!seq) return seq.error();
  if (event.uuid == scan_id_) scan_id_.clear();
  if (on_event_) on_event_();
  return HandoverReceipt{
      event.kind,         event.uuid,          event.order_id, std::move(order_number),
      event.lines_handed, event.lines_missing, event.reason,   event.undoes,
      event.wall_ms};
}

Result<HandoverReceipt> PickupService::hand_over(std::string_view order_number,
                                                 const std::vector<int> &missing_lines,
                                                 std::string_view staff) {
  auto verdict = check_order(order_number);
  if (!verdict) return verdict.error();
  if (!can_hand_over(verdict->kind)) {
    return make_error("not_collectable", std::string(to_string(verdict->kind)));
  }
  const OrderSummary &order = *verdict->order;
  std::set<int> missing;
  for (int line : missing_lines) {
    const bool exists = std::any_of(order.lines.begin(), order.lines.end(),
                                    [line](const VerdictLine &l) { return l.line_no == line; });
    if (!exists) return make_error("bad_line", std::to_string(line));
    missing.insert(line);
  }
  if (!order.lines.empty() && missing.size() == order.lines.size()) {
    return make_error("all_lines_missing", order.number);
  }
  db::HandoverEvent e;
  e.uuid = event_id_for(order.id);
  e.order_id = order.id;
  e.kind = missing.empty() ? db::EventKind::full : db::EventKind::partial;
  for (const VerdictLine &l : order.lines) {
    (missing.contains(l.line_no) ? e.lines_missing : e.lines_handed).push_back(l.line_no);
  }
  e.staff = staff;
  e.device = identity_.device_id;
  e.wall_ms = clock_.wall_ms();
  e.mono_ns = clock_.mono_ns();
  return record(e, order.number);
}

Result<HandoverReceipt> PickupService::refuse(std::string_view order_number,
                                              std::string_view reason, std::string_view staff) {
  if (reason.empty()) return make_error("reason_required", std::string(order_number));
  // Any order can be refused, whatever its verdict, including one known from a token only.
  auto verdict = check_order(order_number);
  if (!verdict) return verdict.error();
  const OrderSummary &order = *verdict->order;
  db::HandoverEvent e;
  e.uuid = event_id_for(order.id);
  e.order_id = order.id;
  e.kind = db::EventKind::refused;
  e.reason = reason;
  e.staff = staff;
  e.device = identity_.device_id;
  e.wall_ms = clock_.wall_ms();
  e.mono_ns = clock_.mono_ns();
  return record(e, order.number);
}

Result<HandoverReceipt> PickupService::undo_last(std::string_view staff) {
  return undo_handover(std::nullopt, staff);
}

Result<HandoverReceipt> PickupService::undo(std::string_view event_id, std::string_view staff) {
  return undo_handover(event_id, staff);
}

Result<HandoverReceipt> PickupService::undo_handover(std::optional<std::string_view> event_id,
                                                     std::string_view staff) {
  auto last = ledger_.last_handover(identity_.device_id);
  if (!last) return last.error();
  if (!*last) return make_error("nothing_to_undo", "no handover on this device to undo");
  const db::HandoverEvent &done = **last;
  // A named event that is no longer the last handover (another was made since, or it is
  // a refusal, or it is undone already) is never swapped for the one that is.
  if (event_id && *event_id != done.uuid) {
    return make_error("nothing_to_undo",
                      "event " + std::string(*event_id) + " is not this device's last handover");
  }
  const std::int64_t age_ms = clock_.wall_ms() - done.wall_ms;
  if (age_ms < 0 || age_ms > kUndoWindowMs) {
    return make_error("undo_too_late", done.uuid);
  }
  auto order = cache_.find_by_id(done.order_id);
  if (!order) return order.error();
  db::HandoverEvent e;
  e.uuid = make_uuid_v7(clock_.wall_ms());
  e.order_id = done.order_id;
  e.kind = db::EventKind::undo;
  e.lines_handed = done.lines_handed;
  e.lines_missing = done.lines_missing;
  e.undoes = done.uuid;
  e.staff = staff;
  e.device = identity_.device_id;
  e.wall_ms = clock_.wall_ms();
  e.mono_ns = clock_.mono_ns();
  return record(e, *order ? (*order)->number : "#" + std::to_string(done.order_id));
}

Result<DeskStatus> PickupService::status() {
  auto counts = cache_.count_by_status(identity_.stand_id);
  if (!counts) return counts.error();
  DeskStatus s;
  for (const db::StatusCount &c : *counts) {
    if (c.collected_here || c.status == db::OrderStatus::collected) {
      s.collected += c.count;
    } else if (c.status == db::OrderStatus::cancelled) {
      s.cancelled += c.count;
    } else if (c.status == db::OrderStatus::ready) {
      s.ready += c.count;
    } else {
      s.not_ready += c.count;
    }
  }
  auto waiting = ledger_.outbox_size();
  if (!waiting) return waiting.error();
  s.events_waiting = *waiting;
  const LocalDay day = local_day(clock_.wall_ms() / 1000);
  auto today = ledger_.handovers_between(day.start * 1000, day.end * 1000);
  if (!today) return today.error();
  s.collected_today = static_cast<std::int64_t>(today->size());
  auto last_pull = sync_store_.state(db::sync_key::kLastPullMs);
  if (!last_pull) return last_pull.error();
  s.last_sync_ms = time_ms(*last_pull);
  auto last_attempt = sync_store_.state(db::sync_key::kLastAttemptMs);
  if (!last_attempt) return last_attempt.error();
  s.last_attempt_ms = time_ms(*last_attempt);

  // Enrolment writes the portal's address; without one the appliance works alone.
  auto portal = database_.setting(db::kSettingPortalUrl);
  if (!portal) return portal.error();
  auto link = sync_store_.state(db::sync_key::kLink);
  if (!link) return link.error();
  if (!portal->has_value() || (*portal)->empty()) {
    s.link = SyncLink::not_enrolled;
  } else if (*link == "online") {
    s.link = SyncLink::online;
  } else if (*link == "offline") {
    s.link = SyncLink::offline;
  } else {
    s.link = SyncLink::unknown;  // no round yet in this data directory
  }
  auto conflicts = sync_store_.conflict_count();
  if (!conflicts) return conflicts.error();
  s.conflicts = *conflicts;
  auto error = sync_store_.state(db::sync_key::kLastError);
  if (!error) return error.error();
  s.sync_error = error->value_or("");
  return s;
}

OrderListItem PickupService::list_item(const db::ListedOrder &listed,
                                       std::vector<db::HandoverEvent> events,
                                       const ScanContext &context) const {
  const db::Order &o = listed.order;
  OrderListItem item;
  item.id = o.id;
  item.number = o.number;
  item.customer = o.customer;
  item.pickup_from = o.pickup_from;
  item.pickup_until = o.pickup_until;
  item.due_cents = std::max<std::int64_t>(o.due_cents, 0);
  item.line_count = listed.line_count;
  if (auto collection = effective_collection(o, events)) {
    item.collected = true;
    // A collection the portal reports without a time has none, not 1970-01-01.
    if (collection->here || o.collected_at_ms.value_or(0) > 0) {
      item.collected_ms = collection->wall_ms;
    }
    item.partial = collection->partial;
  }
  // The same rules as a scan of its number; lines do not change the verdict, so the order
  // is validated without reading them.
  const std::optional<OrderFacts> facts(OrderFacts{o, std::nullopt, std::move(events), true});
  item.kind = validate(codes::OrderNumberScan{o.number}, facts, context).kind;
  return item;
}

Result<std::vector<OrderListItem>> PickupService::search(std::string_view query,
                                                         std::size_t limit) {
  query = trim_spaces(query);
  // Characters, not bytes: "é" alone is one.
  const std::size_t chars = utf8_length(query);
  if (chars < 2) return std::vector<OrderListItem>();
  auto found = cache_.search(identity_.stand_id, query, limit);
  if (!found) return found.error();
  const ScanContext ctx = context();
  std::vector<OrderListItem> out;
  out.reserve(found->size());
  for (const db::ListedOrder &listed : *found) {
    auto events = ledger_.events_for_order(listed.order.id);
    if (!events) return events.error();
    out.push_back(list_item(listed, std::move(*events), ctx));
  }
  return out;
}

Result<DayReport> PickupService::today() {
  const ScanContext ctx = context();
  const LocalDay day = local_day(ctx.now_s);
  DayReport report;
  report.day_start = day.start;
  auto orders = cache_.in_window(identity_.stand_id, day.start, day.end);
  if (!orders) return orders.error();
  // One query for the ledger of every order of the day, not one per order.
  auto events = ledger_.events_for_window(identity_.stand_id, day.start, day.end);
  if (!events) return events.error();
  // Events come by order id; orders by pickup time, which the buckets keep.
  std::vector<std::size_t> first_event;  // index into *events, per order id below
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < events->size(); ++i) {
    if (ids.empty() || ids.back() != (*events)[i].order_id) {
      ids.push_back((*events)[i].order_id);
      first_event.push_back(i);
    }
  }
  for (const db::ListedOrder &listed : *orders) {
    std::vector<db::HandoverEvent> mine;
    const auto at = std::lower_bound(ids.begin(), ids.end(), listed.order.id);
    if (at != ids.end() && *at == listed.order.id) {
      for (std::size_t i = first_event[static_cast<std::size_t>(at - ids.begin())];
           i < events->size() && (*events)[i].order_id == listed.order.id; ++i) {
        mine.push_back(std::move((*events)[i]));
      }
    }
    std::vector<db::HandoverEvent> copy = mine;
    OrderListItem item = list_item(listed, std::move(copy), ctx);
    item.problem = day_problem(item, listed.order, mine, ctx);
    if (!item.problem.empty()) {
      report.problems.push_back(std::move(item));
    } else if (item.collected) {
      report.collected.push_back(std::move(item));
    } else {
      report.pending.push_back(std::move(item));
    }
  }

  // Every handover of the ledger, token-only orders' included: they count here though no
  // list above shows them (no order row until the sync brings it).
  auto handovers = ledger_.handovers_between(day.start * 1000, day.end * 1000);
  if (!handovers) return handovers.error();
  for (const db::HandoverEvent &e : *handovers) {
    ++report.per_hour[static_cast<std::size_t>(local_hour(e.wall_ms / 1000))];
  }
  return report;
}

}  // namespace comptoir
