# comptoir-bench-kiosk: the kiosk window's figures (cold_start_ms, idle_cpu_pct,
# scan_to_frame_ms, rss_mb, pss_mb) on the real `comptoir` under its own Xvfb, typing with
# XTest (libx11-dev, libxtst-dev). Included from bench/CMakeLists.txt: include(kiosk.cmake).
pkg_check_modules(BENCH_XTEST IMPORTED_TARGET x11 xtst)
if(BENCH_XTEST_FOUND)
  # kiosk_harness.cpp (Xvfb, the window by pid, the state file) is the kiosk e2e test's too;
  # compiled here as a source, since the bench is built without the tests.
  add_executable(comptoir-bench-kiosk ${CMAKE_CURRENT_LIST_DIR}/kiosk_bench_main.cpp
                                      ${CMAKE_SOURCE_DIR}/tests/e2e/kiosk_harness.cpp)
  target_link_libraries(comptoir-bench-kiosk PRIVATE comptoir_provisioning comptoir_core
                        comptoir_db PkgConfig::BENCH_XTEST nlohmann_json::nlohmann_json)
  add_dependencies(comptoir-bench-kiosk comptoir)
else()
  message(WARNING "libx11-dev or libxtst-dev missing: comptoir-bench-kiosk is not built")
endif()
