# The evdev reader against devices replayed by umockdev (evemu events, scripted evdev
# ioctls): each test case in its own process under umockdev-wrapper (LD_PRELOAD of
# libumockdev-preload), building its testbed with libumockdev's C API.
pkg_check_modules(UMOCKDEV REQUIRED IMPORTED_TARGET umockdev-1.0)
find_program(UMOCKDEV_WRAPPER umockdev-wrapper REQUIRED)

add_executable(comptoir_tests_evdev ${CMAKE_CURRENT_LIST_DIR}/evdev_reader_test.cpp)
set_target_properties(comptoir_tests_evdev PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(comptoir_tests_evdev PRIVATE comptoir_test_support comptoir_drivers
                                                   PkgConfig::UMOCKDEV)
target_compile_definitions(comptoir_tests_evdev PRIVATE
  COMPTOIR_EVDEV_FIXTURES="${CMAKE_SOURCE_DIR}/tests/fixtures/evdev")

# name -> the test case it runs (doctest --test-case filter; commas escaped).
set(_evdev_cases
  "two-layouts|evdev reader: an AZERTY and a QWERTY scanner type a code and a token\\, keyboards left alone"
  "candidates|evdev reader: candidates before start say why\\, from the name or the vendor"
  "quiet-gap|evdev reader: a scanner with no terminator is ended by its quiet gap"
  "cable-pulled|evdev reader: a cable pulled mid-scan drops the partial scan\\, the device comes back"
  "flood|evdev reader: a 10 kB flood with no terminator is one too_long drop\\, reading goes on"
  "syn-dropped|evdev reader: events lost (SYN_DROPPED) drop the scan under way\\, the next one reads"
  "hotplug|evdev reader: hotplug\\, a configured scanner plugged in after start is read within 2 s"
  "names|evdev reader: scanner names and vendors"
  "busy-retry|evdev reader: a scanner another program holds is read as soon as it lets go"
  "batch-times|evdev reader: two quiet-gap scans read in one batch are split by their kernel times"
  # Run as root, the case makes itself nobody once its testbed is set up (drop_root.hpp).
  "no-permission|evdev reader: no permission to open a scanner names the udev rule")
foreach(entry IN LISTS _evdev_cases)
  string(FIND "${entry}" "|" bar)
  string(SUBSTRING "${entry}" 0 ${bar} name)
  math(EXPR start "${bar} + 1")
  string(SUBSTRING "${entry}" ${start} -1 case)
  add_test(NAME evdev/${name}
    COMMAND ${UMOCKDEV_WRAPPER} $<TARGET_FILE:comptoir_tests_evdev>
            "--test-case=${case}" --no-version)
  # The preload library comes before the sanitizer runtime in LD_PRELOAD order: tell ASan.
  set_tests_properties(evdev/${name} PROPERTIES
    TIMEOUT 30
    ENVIRONMENT "ASAN_OPTIONS=verify_asan_link_order=0;TMPDIR=/tmp")
endforeach()

