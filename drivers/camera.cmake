# Cameras and image files: ZXing decoding of grey pictures (image_decoder), the camera's pure
# frame pipeline with its throttle and dedupe (frame_scanner), the V4L2 reader (camera_reader),
# and `comptoir-scan FILE...`. ZXing and stb are found at the root; V4L2 is the kernel's
# header (linux/videodev2.h), no library.
target_sources(comptoir_drivers PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/image_decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/frame_scanner.cpp
  ${CMAKE_CURRENT_LIST_DIR}/camera_reader.cpp)
target_link_libraries(comptoir_drivers PUBLIC Threads::Threads)

add_executable(comptoir-scan ${CMAKE_CURRENT_LIST_DIR}/comptoir_scan_main.cpp)
target_link_libraries(comptoir-scan PRIVATE comptoir_drivers nlohmann_json::nlohmann_json)
