# Dear ImGui's SDL2 platform and SDL_Renderer backends, compiled from Debian's
# libimgui-dev (1.86) sources where they are installed, not copied into the tree.
# Included from ui/CMakeLists.txt.
pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
set(COMPTOIR_IMGUI_BACKENDS /usr/share/doc/libimgui-dev/examples/backends
    CACHE PATH "Dear ImGui backend sources (imgui_impl_sdl.cpp, imgui_impl_sdlrenderer.cpp)")
foreach(file imgui_impl_sdl.cpp imgui_impl_sdlrenderer.cpp)
  if(NOT EXISTS ${COMPTOIR_IMGUI_BACKENDS}/${file})
    message(FATAL_ERROR "${COMPTOIR_IMGUI_BACKENDS}/${file} not found: install libimgui-dev")
  endif()
endforeach()

add_library(comptoir_imgui_backends STATIC
  ${COMPTOIR_IMGUI_BACKENDS}/imgui_impl_sdl.cpp
  ${COMPTOIR_IMGUI_BACKENDS}/imgui_impl_sdlrenderer.cpp
  imgui_no_capture.cpp)
target_include_directories(comptoir_imgui_backends SYSTEM PUBLIC /usr/include/imgui/backends)
target_link_libraries(comptoir_imgui_backends PUBLIC PkgConfig::IMGUI PkgConfig::SDL2)
# Not our code: its warnings are not ours to fix (and -Werror must not break on them).
set_source_files_properties(
  ${COMPTOIR_IMGUI_BACKENDS}/imgui_impl_sdl.cpp
  ${COMPTOIR_IMGUI_BACKENDS}/imgui_impl_sdlrenderer.cpp
  PROPERTIES COMPILE_OPTIONS "-w")
# The 1.86 SDL backend calls SDL_CaptureMouse while a button is down; on X11 that grabs the
# pointer, and a touch screen's taps after the first one stop arriving. Renamed to a no-op
# (ui/imgui_no_capture.cpp): the kiosk has one full-screen window, nothing to drag out of.
set_source_files_properties(${COMPTOIR_IMGUI_BACKENDS}/imgui_impl_sdl.cpp
  PROPERTIES COMPILE_DEFINITIONS "SDL_CaptureMouse=comptoir_no_capture_mouse")
