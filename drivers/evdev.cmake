# The evdev reader: keyboard-wedge scanners grabbed and read through /dev/input (libevdev).
pkg_check_modules(LIBEVDEV REQUIRED IMPORTED_TARGET libevdev)
target_sources(comptoir_drivers PRIVATE ${CMAKE_CURRENT_LIST_DIR}/evdev_reader.cpp)
target_link_libraries(comptoir_drivers PUBLIC PkgConfig::LIBEVDEV Threads::Threads)
