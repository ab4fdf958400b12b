# RAYLAUNCH_SANITIZE is a list such as "address;undefined", applied to every
# target we build (tests included), so a sanitizer run covers the whole suite.
if(RAYLAUNCH_SANITIZE)
  list(JOIN RAYLAUNCH_SANITIZE "," _raylaunch_sanitizers)
  add_compile_options(-fsanitize=${_raylaunch_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_raylaunch_sanitizers})
endif()
