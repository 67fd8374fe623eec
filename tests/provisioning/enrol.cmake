# Enrolment end to end (ctest enrol/...): the real comptoir-portal on loopback and the real
# `comptoir-provision enrol`: the identity's file modes, the config written (comments kept,
# the portal's key pinned), the first sync's progress and orders, refusals that change
# nothing. With the config writer's and the service user's unit tests.
comptoir_add_suite(comptoir_tests_enrol enrol
  provisioning/config_writer_test.cpp
  provisioning/service_user_test.cpp
  provisioning/enrol_test.cpp
  e2e/sync_support.cpp)
add_dependencies(comptoir_tests_enrol comptoir comptoir-portal comptoir-provision)
target_link_libraries(comptoir_tests_enrol PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(comptoir_tests_enrol PRIVATE
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
