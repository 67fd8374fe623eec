// One draw function per screen's view-model. Each reads only its view-model and the theme,
// lays the screen out in the current full-window ImGui window, and appends the Actions of
// the buttons pressed to `out` (the app passes them to Kiosk::act). Nothing here decides
// anything: what is shown, and in which words, is the view-model's.
#pragma once

#include <string>
#include <vector>

#include "ui/draw/widgets.hpp"
#include "ui/view_models.hpp"

namespace comptoir::ui::draw {

// The status strip at the top (title, sync state, today's count, a scanner notice) and the
// navigation bar at the bottom; returns the room left between them for the screen.
Rect draw_header(const HeaderView &view, std::vector<Action> &out);

void draw_scan(const ScanView &view, std::vector<Action> &out);
void draw_verdict(const VerdictView &view, std::vector<Action> &out);
void draw_order(const OrderView &view, std::vector<Action> &out);
void draw_search(const SearchView &view, std::vector<Action> &out);
void draw_today(const TodayView &view, std::vector<Action> &out);
void draw_pin(const PinView &view, std::vector<Action> &out);
void draw_technician(const TechnicianView &view, std::vector<Action> &out);

// Shared by the verdict and order screens: columns for the refusal reasons' buttons; the
// band with the icon and the title (returns its height); the amount due in large type.
int reason_columns(float width);
float verdict_band(float top, Tone tone, Icon which, const std::string &title);
void amount_box(Flow &f, const std::string &amount);

// A list row (search results, the day's orders): number and customer, when, and the state
// with its icon, the whole row a button that opens the order.
void draw_result_row(const ResultRow &row, float width, std::vector<Action> &out);

}  // namespace comptoir::ui::draw
