# The key decoder (drivers/keymap.cpp), cross-checked against firmware-host's layout tables
# (comptoir_core, linked by comptoir_add_suite).
comptoir_add_suite(comptoir_tests_keymap keymap drivers/keymap_test.cpp)
target_link_libraries(comptoir_tests_keymap PRIVATE comptoir_drivers)
