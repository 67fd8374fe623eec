# comptoir-bench-hid: hid_reports_per_s (boot-keyboard reports of token scans through the
# decode path), hid_pos_reports_per_s, and hid_reports_per_s_umockdev (the real libusb reader
# on a scanner replayed by umockdev, when libumockdev is there). Included from
# bench/CMakeLists.txt: include(hid.cmake).
add_executable(comptoir-bench-hid ${CMAKE_CURRENT_LIST_DIR}/hid_bench_main.cpp)
target_link_libraries(comptoir-bench-hid PRIVATE comptoir_drivers nlohmann_json::nlohmann_json)
pkg_check_modules(BENCH_UMOCKDEV IMPORTED_TARGET umockdev-1.0)
if(BENCH_UMOCKDEV_FOUND)
  target_link_libraries(comptoir-bench-hid PRIVATE PkgConfig::BENCH_UMOCKDEV)
  target_compile_definitions(comptoir-bench-hid PRIVATE COMPTOIR_BENCH_UMOCKDEV
    COMPTOIR_USB_FIXTURES="${CMAKE_SOURCE_DIR}/tests/fixtures/usb")
endif()
