# The serial reader (CDC-ACM and RS-232 scanners through termios): no library beyond libc.
target_sources(comptoir_drivers PRIVATE ${CMAKE_CURRENT_LIST_DIR}/serial_reader.cpp)
target_link_libraries(comptoir_drivers PUBLIC Threads::Threads)
