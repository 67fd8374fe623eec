# comptoir-provision bundle apply (issue 7): bundles made by the real comptoir-portal, applied
# by the real comptoir-provision, served offline by the real comptoir; refusals leave the
# cache byte for byte; the pending enrolment finishes against the portal on loopback.
set(COMPTOIR_TEST_TIMEOUT 180)
comptoir_add_suite(comptoir_tests_bundle_apply bundle-apply
  provisioning/bundle_apply_test.cpp
  provisioning/bundle_config_test.cpp
  e2e/sync_support.cpp)
set(COMPTOIR_TEST_TIMEOUT 120)
add_dependencies(comptoir_tests_bundle_apply comptoir-provision comptoir-portal comptoir)
target_link_libraries(comptoir_tests_bundle_apply PRIVATE nlohmann_json::nlohmann_json)
target_compile_definitions(comptoir_tests_bundle_apply PRIVATE
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
