# Warnings for our own targets only (linked PRIVATE), so third-party headers and
# users' newer compilers are not held to them. CI adds
# CMAKE_COMPILE_WARNING_AS_ERROR=ON through the `ci` preset.
# is left out: GCC 12 at -O2 reports it inside libstdc++'s
# std::string when inlined through CLI11, a false positive we cannot fix here.
add_library(raylaunch_warnings INTERFACE)
add_library(raylaunch::warnings ALIAS raylaunch_warnings)
target_compile_options(raylaunch_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wcast-align -Wextra-semi)
