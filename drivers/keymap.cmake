# Key codes to text per layout (us, uk, fr, de), shared by the evdev and libusb readers.
target_sources(comptoir_drivers PRIVATE ${CMAKE_CURRENT_LIST_DIR}/keymap.cpp)
