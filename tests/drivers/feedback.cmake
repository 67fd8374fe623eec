# The kiosk keyboard and the tones: the wedge assembler (pure) and the tone player through
# SDL's disk and dummy audio drivers.
comptoir_add_suite(comptoir_tests_feedback drivers-feedback
  drivers/wedge_assembler_test.cpp
  drivers/tone_player_test.cpp)
target_link_libraries(comptoir_tests_feedback PRIVATE comptoir_drivers)

# ui/sdl_wedge_input: SDL events built by hand, then a real window under Xvfb typed into by
# xdotool. Defined here because tests/CMakeLists.txt includes tests/drivers/<part>.cmake.
comptoir_add_suite(comptoir_tests_ui_wedge ui-wedge ui/sdl_wedge_input_test.cpp)
# Its Xvfb is tests/e2e/kiosk_harness's.
target_link_libraries(comptoir_tests_ui_wedge PRIVATE comptoir_ui_input comptoir_kiosk_harness)
# The window the end-to-end test types into: a test program, kept out of bin/.
add_executable(comptoir_wedge_probe ui/wedge_probe_main.cpp)
set_target_properties(comptoir_wedge_probe PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/ui)
target_link_libraries(comptoir_wedge_probe PRIVATE comptoir_ui_input)
add_dependencies(comptoir_tests_ui_wedge comptoir_wedge_probe)
target_compile_definitions(comptoir_tests_ui_wedge PRIVATE
  COMPTOIR_WEDGE_PROBE="$<TARGET_FILE:comptoir_wedge_probe>")
