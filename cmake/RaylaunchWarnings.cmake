# Warnings for our own targets only (linked PRIVATE), so third-party headers and
# users' newer compilers are not held to them. CI adds
# CMAKE_COMPILE_WARNING_AS_ERROR=ON through the `ci` preset.
add_library(raylaunch_warnings INTERFACE)
add_library(raylaunch::warnings ALIAS raylaunch_warnings)
target_compile_options(raylaunch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wnull-dereference -Wcast-align -Wextra-semi)
