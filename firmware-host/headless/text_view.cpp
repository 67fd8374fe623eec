#include "headless/text_view.hpp"

#include <cstdio>

namespace comptoir {
namespace {

using nlohmann::json;

struct Look {
  const char *color;  // ANSI SGR
  const char *fr;
  const char *en;
  const char *mark;  // never colour alone: a mark and a word too
};

Look look_for(const std::string &verdict) {
  if (verdict == "ready") return {"1;32", "PRÊTE", "READY", "✓"};
  if (verdict == "payment_due") return {"1;33", "À PAYER", "PAYMENT DUE", "€"};
  if (verdict == "already_collected") return {"1;31", "DÉJÀ RETIRÉE", "ALREADY COLLECTED", "✗"};
  if (verdict == "not_ready") return {"1;33", "PAS PRÊTE", "NOT READY", "…"};
  if (verdict == "cancelled") return {"1;31", "ANNULÉE", "CANCELLED", "✗"};
  if (verdict == "wrong_stand") return {"1;35", "AUTRE STAND", "WRONG STAND", "→"};
  if (verdict == "too_early") return {"1;33", "TROP TÔT", "TOO EARLY", "…"};
  if (verdict == "expired") return {"1;31", "EXPIRÉE", "EXPIRED", "✗"};
  if (verdict == "unknown") return {"1;31", "INCONNU", "UNKNOWN", "?"};
  if (verdict == "mistyped") return {"1;33", "MAL SAISI", "MISTYPED", "?"};
  if (verdict == "forged") return {"1;31", "FALSIFIÉ", "FORGED", "✗"};
  if (verdict == "unknown_key") return {"1;33", "CLÉ INCONNUE", "UNKNOWN KEY", "?"};
  if (verdict == "ready_unsynced") return {"1;32", "AUTHENTIQUE", "GENUINE", "✓"};
  return {"1;31", "PAS UN CODE", "NOT A CODE", "?"};
}

std::string paint(const std::string &text, const char *sgr, bool color) {
  return color ? std::string("\x1b[") + sgr + "m" + text + "\x1b[0m" : text;
}

std::string quantity(const json &line, Lang lang) {
  const double q = line.value("quantity", 0.0);
  char buf[32];
  if (line.value("variable_weight", false)) {
    std::snprintf(buf, sizeof buf, "%.3f", q);
  } else {
    std::snprintf(buf, sizeof buf, "%g", q);
  }
  std::string s = buf;
  if (lang == Lang::fr) {
    for (char &c : s) c = c == '.' ? ',' : c;
  }
  std::string unit = line.value("unit", "");
  // "3 bottes", "2 pièces"; symbols (kg, L) stay as they are.
  if (q > 1 && unit.size() > 2 && unit.back() != 's') unit += 's';
  return s + " " + unit;
}

}  // namespace

std::string render_text(const json &a, Lang lang, bool color) {
  const bool fr = lang == Lang::fr;
  const std::string type = a.value("type", "");
  const std::string message = a.value("message", "");
  std::string out;
  if (type == "verdict") {
    const Look l = look_for(a.value("verdict", ""));
    out = paint(std::string(l.mark) + " " + (fr ? l.fr : l.en), l.color, color);
    if (a.contains("order_number") && a["order_number"].is_string()) {
      out += "  " + a["order_number"].get<std::string>();
      const std::string customer = a.value("customer", "");
      if (!customer.empty()) out += " · " + customer;
    }
    if (a.value("repeat", false)) out += fr ? "  (lecture en double)" : "  (double read)";
    out += "\n  " + message;
    if (a.contains("layout_message")) out += "\n  " + a.value("layout_message", "");
    if (a.contains("lines")) {
      for (const json &line : a["lines"]) {
        out += "\n    " + std::to_string(line.value("line", 0)) + ". " + line.value("product", "") +
               " — " + quantity(line, lang) + " — " +
               format_money(line.value("price_cents", std::int64_t{0}), lang);
      }
    }
    const std::string verdict = a.value("verdict", "");
    const bool can_hand_over =
        verdict == "ready" || verdict == "payment_due" || verdict == "ready_unsynced";
    if (can_hand_over && !a.contains("handover") && a["order_number"].is_string()) {
      out +=
          std::string("\n  ") +
          (fr ? "Pour enregistrer la remise : :handover " : "To record the handover: :handover ") +
          a["order_number"].get<std::string>();
    }
    if (a.contains("handover") && a["handover"].value("ok", false)) {
      out += "\n  " + paint(fr ? "✓ Remise enregistrée" : "✓ Handover recorded", "1;32", color);
    }
  } else if (type == "handover") {
    out = paint(fr ? "✓ ENREGISTRÉ" : "✓ RECORDED", "1;32", color) + "  " + message;
  } else if (type == "status") {
    // The link's trouble in yellow, with its sentence on a line of its own: never the
    // colour alone.
    const bool trouble = a.contains("sync_error_message") || a.value("conflicts", 0) > 0;
    out = paint(fr ? "ÉTAT" : "STATUS", trouble ? "1;33" : "1", color) + "  " + message;
    if (a.contains("sync_error_message")) {
      out += "\n  " + paint("! ", "1;33", color) + a.value("sync_error_message", "");
    }
  } else if (type == "device") {
    const std::string event = a.value("event", "");
    const bool trouble = event == "scan_dropped" || event == "device_unusable";
    out = paint(fr ? "LECTEUR" : "SCANNER", trouble ? "1;33" : "1", color) + "  " + message;
    const std::string fix = a.value("fix", "");
    if (!fix.empty()) out += "\n  " + std::string(fr ? "Technicien : " : "Technician: ") + fix;
  } else {
    out = paint(fr ? "✗ ERREUR" : "✗ ERROR", "1;31", color) + "  " + message;
  }
  return out;
}

}  // namespace comptoir
