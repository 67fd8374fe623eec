# The serial reader through pseudo-terminal pairs (openpty is in libutil).
comptoir_add_suite(comptoir_tests_serial drivers-serial drivers/serial_reader_test.cpp)
target_link_libraries(comptoir_tests_serial PRIVATE comptoir_drivers util)
