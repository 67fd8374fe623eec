# comptoir-bench-camera: camera_decode_ms (a 640x480 grey frame, with and without a code) and
# image_decode_rate over the tests' degraded image set, beside zbarimg (zbar-tools) on the
# same PNG files. Included from bench/CMakeLists.txt: include(camera.cmake).
add_executable(comptoir-bench-camera
  ${CMAKE_CURRENT_LIST_DIR}/camera_bench_main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../tests/support/degraded_images.cpp)
target_link_libraries(comptoir-bench-camera PRIVATE comptoir_drivers PkgConfig::ZXING
                                                    PkgConfig::STB nlohmann_json::nlohmann_json)
