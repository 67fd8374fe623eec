#include "pickup/validate.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>
#include <string>
#include <variant>

namespace comptoir {
namespace {

OrderSummary summarize(const db::Order &o) {
  OrderSummary s;
  s.id = o.id;
  s.number = o.number;
  s.customer = o.customer;
  s.paid_cents = o.paid_cents;
  s.due_cents = o.due_cents;
  s.pickup_from = o.pickup_from;
  s.pickup_until = o.pickup_until;
  for (const db::OrderLine &l : o.lines) {
    s.lines.push_back(
        {l.line_no, l.product, l.quantity_milli, l.unit, l.variable_weight, l.price_cents});
  }
  return s;
}

}  // namespace

std::optional<Collection> effective_collection(const db::Order &order,
                                               const std::vector<db::HandoverEvent> &events) {
  std::set<std::string> undone;
  for (const db::HandoverEvent &e : events) {
    if (e.kind == db::EventKind::undo) undone.insert(e.undoes);
  }
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    const bool handover = it->kind == db::EventKind::full || it->kind == db::EventKind::partial;
    if (handover && !undone.contains(it->uuid)) {
      return Collection{it->wall_ms, it->device, it->staff, it->kind == db::EventKind::partial,
                        true};
    }
  }
  if (order.status == db::OrderStatus::collected) {
    return Collection{order.collected_at_ms.value_or(0), order.collected_device,
                      order.collected_staff, false, false};
  }
  return std::nullopt;
}

db::Order order_from_token(const codes::TokenFields &token) {
  db::Order o;
  o.id = static_cast<std::int64_t>(token.order_id);
  // Formatted rather than "#" + to_string(): GCC 12 at -O3 warns (-Wrestrict, a false
  // positive) on the string operations inlined there.
  std::array<char, 24> number{};
  std::snprintf(number.data(), number.size(), "#%llu",
                static_cast<unsigned long long>(token.order_id));
  o.number = number.data();
  o.stand_id = token.stand_id;
  o.status = db::OrderStatus::ready;
  o.pickup_until = (std::int64_t{token.valid_until_day} + 1) * 86400 - 1;
  o.due_cents = token.prepaid() ? 0 : -1;  // -1: the token does not say
  return o;
}

Verdict validate(const codes::ScannedCode &code, const std::optional<OrderFacts> &facts,
                 const ScanContext &context) {
  Verdict v;
  if (const auto *not_code = std::get_if<codes::NotACode>(&code)) {
    v.kind = VerdictKind::not_a_pickup_code;
    v.detail = not_code->reason;
    return v;
  }
  if (std::holds_alternative<codes::MistypedShortCode>(code)) {
    v.kind = VerdictKind::mistyped;
    v.detail = "check_symbol";
    return v;
  }
  bool token_expired = false;
  if (const auto *s = std::get_if<codes::ShortCodeScan>(&code)) v.layout = s->layout;
  if (const auto *t = std::get_if<codes::SignedTokenScan>(&code)) {
    v.layout = t->layout;
    switch (t->status) {
      case codes::TokenStatus::ok:
        break;
      case codes::TokenStatus::forged:
        v.kind = VerdictKind::forged;
        return v;
      case codes::TokenStatus::unknown_key:
      case codes::TokenStatus::key_not_valid:
        v.kind = VerdictKind::unknown_key;
        v.detail = std::string(codes::to_string(t->status));
        return v;
      case codes::TokenStatus::not_a_token:
      case codes::TokenStatus::malformed:
      case codes::TokenStatus::bad_version:
        v.kind = VerdictKind::not_a_pickup_code;
        v.detail = t->status == codes::TokenStatus::bad_version ? "token_version" : "damaged_token";
        return v;
    }
    token_expired = context.now_s / 86400 > t->fields.valid_until_day;
  }
  if (!facts) {
    if (std::holds_alternative<codes::OrderNumberScan>(code)) {
      // Order-number-shaped text that matches no order is most often some other barcode.
      v.kind = VerdictKind::not_a_pickup_code;
      v.detail = "no_such_order_number";
    } else {
      v.kind = VerdictKind::unknown;
      v.detail = "not_in_cache";
    }
    return v;
  }

  const db::Order &o = facts->order;
  v.order = summarize(o);
  v.order->in_cache = facts->in_cache;
  v.order->prepaid = o.due_cents == 0;
  v.order->due_cents = std::max<std::int64_t>(o.due_cents, 0);
  const std::int64_t now = context.now_s;
  if (auto collected = effective_collection(o, facts->events)) {
    v.kind = VerdictKind::already_collected;
    v.collected = std::move(collected);
  } else if (o.status == db::OrderStatus::cancelled) {
    v.kind = VerdictKind::cancelled;
  } else if (o.stand_id != context.stand_id) {
    v.kind = VerdictKind::wrong_stand;
    v.collect_at = facts->order_stand.value_or(StandRef{o.stand_id, {}, {}});
  } else if (token_expired || now > o.pickup_until + context.policy.late_grace_s) {
    v.kind = VerdictKind::expired;
  } else if (!facts->in_cache) {
    v.kind = VerdictKind::ready_unsynced;
  } else if (now < o.pickup_from - context.policy.early_grace_s) {
    v.kind = VerdictKind::too_early;
  } else if (o.status == db::OrderStatus::pending) {
    v.kind = VerdictKind::not_ready;
  } else if (o.due_cents > 0) {
    v.kind = VerdictKind::payment_due;
  } else {
    v.kind = VerdictKind::ready;
  }
  if (!v.collected) {
    // The last refusal stands until a handover (none stands, or v.collected would be set).
    for (auto it = facts->events.rbegin(); it != facts->events.rend(); ++it) {
      if (it->kind == db::EventKind::refused) {
        v.refused = Refusal{it->wall_ms, it->reason, it->staff};
        break;
      }
    }
  }
  return v;
}

}  // namespace comptoir
