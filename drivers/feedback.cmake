# What the kiosk's own keyboard and speaker need from drivers/: the keyboard-wedge assembler
# (pure; the SDL adapter is ui/sdl_wedge_input) and the good and bad tones (SDL audio only).
pkg_check_modules(SDL2 REQUIRED IMPORTED_TARGET sdl2)
target_sources(comptoir_drivers PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/wedge_assembler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tone_player.cpp)
target_link_libraries(comptoir_drivers PRIVATE PkgConfig::SDL2)
