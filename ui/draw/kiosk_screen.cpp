// The screen the kiosk's state says, from its view-model; see screens.hpp.
#include "ui/draw/kiosk_screen.hpp"

#include "ui/draw/screens.hpp"

namespace comptoir::ui::draw {

void draw_kiosk(const Kiosk &kiosk, std::int64_t now_ms, std::vector<Action> &out) {
  const KioskState &state = kiosk.state();
  switch (state.screen) {
    case Screen::scan:
      draw_scan(scan_view(state, now_ms), out);
      break;
    case Screen::verdict:
      draw_verdict(verdict_view(kiosk, now_ms), out);
      break;
    case Screen::order:
      draw_order(order_view(kiosk, now_ms), out);
      break;
    case Screen::search:
      draw_search(search_view(state, now_ms), out);
      break;
    case Screen::today:
      draw_today(today_view(state, now_ms), out);
      break;
    case Screen::technician_pin:
      draw_pin(pin_view(state, now_ms), out);
      break;
    case Screen::technician:
      draw_technician(technician_view(kiosk, now_ms), out);
      break;
  }
}

}  // namespace comptoir::ui::draw
