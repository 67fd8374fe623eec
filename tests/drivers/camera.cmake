# Cameras and image files: the decoder over the degraded image set (a black-box test with pass
# counts per degradation), the frame pipeline with synthetic GREY/YUYV/MJPEG frames, the V4L2
# reader's error paths, and the real comptoir-scan on files comptoir-code writes.
comptoir_add_suite(comptoir_tests_camera camera
  ${CMAKE_CURRENT_LIST_DIR}/image_decoder_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/camera_reader_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/comptoir_scan_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/support/degraded_images.cpp)
add_dependencies(comptoir_tests_camera comptoir-scan comptoir-code)
target_compile_definitions(comptoir_tests_camera PRIVATE
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
target_link_libraries(comptoir_tests_camera PRIVATE comptoir_drivers PkgConfig::ZXING
                                                    PkgConfig::STB)
# The set is made pixel by pixel in floating point: optimised even in Debug builds, it takes
# about a second instead of ten under the sanitizers.
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/support/degraded_images.cpp
                            TARGET_DIRECTORY comptoir_tests_camera PROPERTIES COMPILE_OPTIONS -O2)
