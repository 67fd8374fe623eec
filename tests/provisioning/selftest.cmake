# comptoir-provision selftest and reset (issue 7): the checks' judgments on their own, then the
# real comptoir-provision against a real comptoir-portal on loopback (enrolled with
# comptoir-provision enrol, synced), on healthy and broken data directories. The text output of
# a healthy and a broken run is kept in test-artifacts/selftest for the closing note.
comptoir_add_suite(comptoir_tests_selftest selftest
  provisioning/self_test_checks_test.cpp
  provisioning/selftest_test.cpp
  provisioning/reset_test.cpp
  e2e/sync_support.cpp)
add_dependencies(comptoir_tests_selftest comptoir-provision comptoir-portal comptoir)
target_link_libraries(comptoir_tests_selftest PRIVATE nlohmann_json::nlohmann_json)
# reset's confirmation is typed at a terminal: script(1) (util-linux) gives it one.
find_program(SCRIPT_PROGRAM script REQUIRED)
target_compile_definitions(comptoir_tests_selftest PRIVATE
  SCRIPT_PROGRAM="${SCRIPT_PROGRAM}"
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}"
  COMPTOIR_SELFTEST_ARTIFACTS="${CMAKE_BINARY_DIR}/test-artifacts/selftest")
