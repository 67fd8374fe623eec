# Enrolment from the kiosk's technician screen (issue 7): the state machine with a
# recording host (ctest kiosk-enrol/...), and the real `comptoir` window under Xvfb enrolled
# by a real comptoir-portal on loopback, typed into by xdotool as a scanner types.
comptoir_add_suite(comptoir_tests_kiosk_enrol kiosk-enrol ui/kiosk_enrol_test.cpp)
target_link_libraries(comptoir_tests_kiosk_enrol PRIVATE comptoir_ui_model)
target_compile_definitions(comptoir_tests_kiosk_enrol PRIVATE
  COMPTOIR_TEST_LOCALEDIR="${CMAKE_BINARY_DIR}/share/locale")

set(COMPTOIR_TEST_TIMEOUT 300)
comptoir_add_suite(comptoir_tests_kiosk_enrol_e2e kiosk-enrol
  e2e/kiosk_enrol_e2e_test.cpp e2e/sync_support.cpp)
set(COMPTOIR_TEST_TIMEOUT 120)
add_dependencies(comptoir_tests_kiosk_enrol_e2e comptoir comptoir-portal comptoir-provision)
target_link_libraries(comptoir_tests_kiosk_enrol_e2e PRIVATE comptoir_kiosk_harness
                                                             nlohmann_json::nlohmann_json)
target_compile_definitions(comptoir_tests_kiosk_enrol_e2e PRIVATE
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}"
  COMPTOIR_KIOSK_ARTIFACTS="${CMAKE_BINARY_DIR}/test-artifacts/kiosk-enrol")
