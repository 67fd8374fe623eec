# Tests of the appliance's package (ctest package/...): sd_notify (ServiceNotify, and the real
# `comptoir --headless` under a notify socket with a watchdog); and the .deb itself
# (package_test.sh: scripts/package in a Release build of its own under this build tree,
# the contents, the units, the udev rules, an install into a throwaway root and a purge).
comptoir_add_suite(comptoir_tests_package package
  ${CMAKE_CURRENT_LIST_DIR}/service_notify_test.cpp)
add_dependencies(comptoir_tests_package comptoir)
# The kiosk's watchdog test runs the window under an Xvfb of its own.
target_link_libraries(comptoir_tests_package PRIVATE comptoir_kiosk_harness)
target_compile_definitions(comptoir_tests_package PRIVATE
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")

# The .deb: a Release configure and build of the shipped programs (~2 min on 2 cores the first
# time, seconds after), cpack, then the checks (~20 s). Nothing is installed from ctest
# (COMPTOIR_PACKAGE_NO_INSTALL=1): a missing tool fails the test, naming its package.
add_test(NAME package/deb
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/package_test.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_BINARY_DIR}/package-release)
# Alone (RUN_SERIAL): with both cores its build takes ~2 min; beside other tests under ASan it
# once took 10.
set_tests_properties(package/deb PROPERTIES TIMEOUT 1200 RUN_SERIAL TRUE)
