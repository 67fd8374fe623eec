# comptoir-bench-sync: the sync's figures (pull_bytes_per_order, push_bytes_per_event,
# sync_1000_orders_s, portal_pull_orders_per_s) on the real comptoir-portal and `comptoir sync
# --once`, slow links made by the tests' fault proxy. Included from bench/CMakeLists.txt:
# include(sync.cmake).
add_executable(comptoir-bench-sync
  ${CMAKE_CURRENT_LIST_DIR}/sync_bench_main.cpp
  # Compiled here as sources, since the bench is built without the tests (COMPTOIR_TESTS=OFF).
  ${CMAKE_SOURCE_DIR}/tests/support/subprocess.cpp
  ${CMAKE_SOURCE_DIR}/tests/support/temp_dir.cpp)
if(TARGET comptoir_fault_proxy)
  target_link_libraries(comptoir-bench-sync PRIVATE comptoir_fault_proxy)
else()
  target_sources(comptoir-bench-sync PRIVATE ${CMAKE_SOURCE_DIR}/tests/support/fault_proxy.cpp)
endif()
target_link_libraries(comptoir-bench-sync PRIVATE comptoir_core comptoir_db
                                                  nlohmann_json::nlohmann_json Threads::Threads)
add_dependencies(comptoir-bench-sync comptoir comptoir-portal)
