#include "pickup/pickup_service.hpp"

#include <algorithm>
#include <set>
#include <variant>

#include "runtime/uuid.hpp"

namespace comptoir {

PickupService::PickupService(db::Database &db, const Clock &clock, Identity identity, Policy policy)
    : cache_(db.connection()),
      ledger_(db.connection()),
      clock_(clock),
      identity_(std::move(identity)),
      policy_(policy) {}

ScanContext PickupService::context() const {
  return ScanContext{identity_.stand_id, clock_.wall_ms() / 1000, policy_};
}

Result<std::optional<OrderFacts>> PickupService::facts_for(const std::optional<db::Order> &order) {
  if (!order) return std::optional<OrderFacts>();
  OrderFacts facts{*order, std::nullopt, {}};
  auto events = ledger_.events_for_order(order->id);
  if (!events) return events.error();
  facts.events = std::move(*events);
  if (order->stand_id != identity_.stand_id) {
    auto stand = cache_.stand(order->stand_id);
    if (!stand) return stand.error();
    if (*stand) facts.order_stand = StandRef{(*stand)->id, (*stand)->name, (*stand)->place};
  }
  return std::optional<OrderFacts>(std::move(facts));
}

Result<std::optional<OrderFacts>> PickupService::lookup(const codes::ScannedCode &code) {
  Result<std::optional<db::Order>> order = std::optional<db::Order>();
  if (const auto *s = std::get_if<codes::ShortCodeScan>(&code)) {
    order = cache_.find_by_short_code(static_cast<std::int64_t>(s->value));
  } else if (const auto *n = std::get_if<codes::OrderNumberScan>(&code)) {
    order = cache_.find_by_number(n->number);
  }
  if (!order) return order.error();
  return facts_for(*order);
}

Result<Verdict> PickupService::scan(std::string_view text) {
  const codes::ScannedCode code = codes::parse_scan(text);
  // Garbage is keyed by its text, so two different wrong barcodes are two scans.
  std::string key = codes::scan_key(code);
  if (std::holds_alternative<codes::NotACode>(code)) key.append(text.substr(0, 64));
  if (debouncer_.is_repeat(key, clock_.mono_ns())) {
    Verdict repeat = last_verdict_;
    repeat.repeat = true;
    return repeat;
  }
  auto facts = lookup(code);
  if (!facts) return facts.error();
  Verdict v = validate(code, *facts, context());
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
  const codes::ScannedCode code = codes::OrderNumberScan{std::string(order_number)};
  auto order = cache_.find_by_number(order_number);
  if (!order) return order.error();
  if (!*order) return make_error("order_not_found", std::string(order_number));
  auto facts = facts_for(*order);
  if (!facts) return facts.error();
  return validate(code, *facts, context());
}

std::string PickupService::event_id_for(std::int64_t order_id) {
  if (!scan_id_.empty() && scan_order_id_ == order_id) {
    return std::exchange(scan_id_, std::string());
  }
  return make_uuid_v7(clock_.wall_ms());
}

Result<HandoverReceipt> PickupService::record(const db::HandoverEvent &event,
                                              std::string order_number) {
  auto seq = ledger_.append(event);
  if (!seq) return seq.error();
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
  auto order = cache_.find_by_number(order_number);
  if (!order) return order.error();
  if (!*order) return make_error("order_not_found", std::string(order_number));
  db::HandoverEvent e;
  e.uuid = event_id_for((*order)->id);
  e.order_id = (*order)->id;
  e.kind = db::EventKind::refused;
  e.reason = reason;
  e.staff = staff;
  e.device = identity_.device_id;
  e.wall_ms = clock_.wall_ms();
  e.mono_ns = clock_.mono_ns();
  return record(e, (*order)->number);
}

Result<HandoverReceipt> PickupService::undo_last(std::string_view staff) {
  auto last = ledger_.last_handover(identity_.device_id);
  if (!last) return last.error();
  if (!*last) return make_error("nothing_to_undo", "no handover on this device to undo");
  const db::HandoverEvent &done = **last;
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
  return record(e, *order ? (*order)->number : std::string());
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
  return s;
}

}  // namespace comptoir
