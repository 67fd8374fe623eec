# The libusb HID reader (boot-keyboard and HID-POS reports) and its pure report parsing.
pkg_check_modules(LIBUSB REQUIRED IMPORTED_TARGET libusb-1.0)
target_sources(comptoir_drivers PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/hid_reports.cpp
  ${CMAKE_CURRENT_LIST_DIR}/usb_hid_reader.cpp)
target_link_libraries(comptoir_drivers PUBLIC PkgConfig::LIBUSB Threads::Threads)
