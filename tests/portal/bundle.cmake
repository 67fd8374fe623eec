# The portal's side of offline bundles and provisioning (issue 7): the bundle codec
# (firmware-host/sync/bundle.hpp) with every refusal code, the portal's identity key, ping
# and ping/download over loopback, `remaining` in pages, and the real
# `comptoir-portal identity` and `bundle create`.
comptoir_add_suite(comptoir_tests_bundle bundle
  portal/bundle_codec_test.cpp
  portal/bundle_portal_test.cpp)
add_dependencies(comptoir_tests_bundle comptoir-portal)
target_compile_definitions(comptoir_tests_bundle PRIVATE
  COMPTOIR_BIN_DIR="${CMAKE_RUNTIME_OUTPUT_DIRECTORY}")
target_link_libraries(comptoir_tests_bundle PRIVATE comptoir_portal PkgConfig::ZLIB)
