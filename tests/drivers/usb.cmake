# The libusb HID reader's suites. usb/...: the pure report parsing (drivers/hid_reports).
# usb-umockdev/...: the real reader on libusb, against devices replayed by umockdev; each
# test case in its own process under umockdev-wrapper (LD_PRELOAD of libumockdev-preload),
# which builds its testbed with libumockdev's C API (tests/fixtures/usb + generated scripts).
pkg_check_modules(UMOCKDEV REQUIRED IMPORTED_TARGET umockdev-1.0)
find_program(UMOCKDEV_WRAPPER umockdev-wrapper REQUIRED)

set(COMPTOIR_USB_FIXTURES "${CMAKE_SOURCE_DIR}/tests/fixtures/usb")

comptoir_add_suite(comptoir_tests_usb usb
  ${CMAKE_CURRENT_LIST_DIR}/hid_reports_test.cpp)
target_link_libraries(comptoir_tests_usb PRIVATE comptoir_drivers)
target_compile_definitions(comptoir_tests_usb PRIVATE
  COMPTOIR_USB_FIXTURES="${COMPTOIR_USB_FIXTURES}")

add_executable(comptoir_tests_usb_umockdev ${CMAKE_CURRENT_LIST_DIR}/usb_hid_reader_test.cpp)
set_target_properties(comptoir_tests_usb_umockdev PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
# toml++ (found by the top-level CMakeLists): the fixes the reader gives must parse as config.
target_link_libraries(comptoir_tests_usb_umockdev PRIVATE comptoir_test_support comptoir_drivers
                                                          PkgConfig::UMOCKDEV PkgConfig::TOMLPP)
target_compile_definitions(comptoir_tests_usb_umockdev PRIVATE
  COMPTOIR_USB_FIXTURES="${COMPTOIR_USB_FIXTURES}")

# name -> the test case it runs (doctest --test-case filter; commas escaped).
set(_usb_umockdev_cases
  "boot-token|usb reader: a boot-keyboard scanner types a token-shaped scan through the us layout"
  "keyboard-left-alone|usb reader: an unconfigured keyboard is left alone and listed with the fix"
  "hid-pos|usb reader: a HID-POS scanner is found by its report descriptor\\, scans continued"
  "cable-pulled|usb reader: a cable pulled mid-scan drops the partial scan\\, the device comes back"
  "flood|usb reader: a flood of 10 kB with no terminator is one too_long drop\\, reading goes on"
  "hotplug|usb reader: hotplug\\, a scanner plugged in after start is read within 2 s"
  "no-permission|usb reader: no permission on the device node gives the udev rule\\, never a crash"
  "set-protocol|usb reader: a boot-subclass scanner is set to the boot protocol before it is read"
  "set-protocol-refused|usb reader: a scanner that refuses SET_PROTOCOL is read all the same"
  "stall|usb reader: a stalled endpoint is cleared and reading goes on\\, the scan under way kept"
  "stop|usb reader: stop wakes the event thread at once")
# Root opens any device node: run as root, the permission case makes itself nobody once
# its testbed is set up (tests/support/drop_root.hpp).
foreach(entry IN LISTS _usb_umockdev_cases)
  string(FIND "${entry}" "|" bar)
  string(SUBSTRING "${entry}" 0 ${bar} name)
  math(EXPR start "${bar} + 1")
  string(SUBSTRING "${entry}" ${start} -1 case)
  add_test(NAME usb-umockdev/${name}
    COMMAND ${UMOCKDEV_WRAPPER} $<TARGET_FILE:comptoir_tests_usb_umockdev>
            "--test-case=${case}" --no-version)
  # The preload library comes before the sanitizer runtime in LD_PRELOAD order: tell ASan.
  set_tests_properties(usb-umockdev/${name} PROPERTIES
    TIMEOUT 60
    ENVIRONMENT "ASAN_OPTIONS=verify_asan_link_order=0;TMPDIR=/tmp")
endforeach()
