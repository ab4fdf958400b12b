# Installing raylaunch where Debian puts things, and a .deb of it (cpack -G DEB).
#   cmake --install build --prefix /usr      or      cd build && cpack -G DEB
# The man page and completions are written from the built binary
# (RaylaunchGenerate.cmake); the package's dependencies are computed by
# dpkg-shlibdeps, not typed here.
include(GNUInstallDirs)

set(RAYLAUNCH_GENERATED ${PROJECT_BINARY_DIR}/generated)
set(raylaunch_generated_files ${RAYLAUNCH_GENERATED}/raylaunch.1.gz
  ${RAYLAUNCH_GENERATED}/raylaunch.bash ${RAYLAUNCH_GENERATED}/_raylaunch
  ${RAYLAUNCH_GENERATED}/raylaunch.fish ${RAYLAUNCH_GENERATED}/changelog.gz)
add_custom_command(OUTPUT ${raylaunch_generated_files}
  COMMAND ${CMAKE_COMMAND} -DRAYLAUNCH=$<TARGET_FILE:raylaunch> -DOUT=${RAYLAUNCH_GENERATED}
    -DVERSION=${PROJECT_VERSION} -P ${PROJECT_SOURCE_DIR}/cmake/RaylaunchGenerate.cmake
  DEPENDS raylaunch ${PROJECT_SOURCE_DIR}/cmake/RaylaunchGenerate.cmake
  COMMENT "Writing raylaunch's man page and shell completions")
add_custom_target(raylaunch_generated ALL DEPENDS ${raylaunch_generated_files})

install(FILES ${RAYLAUNCH_GENERATED}/raylaunch.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${RAYLAUNCH_GENERATED}/raylaunch.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME raylaunch)
install(FILES ${RAYLAUNCH_GENERATED}/_raylaunch
  DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${RAYLAUNCH_GENERATED}/raylaunch.fish
  DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(FILES ${RAYLAUNCH_GENERATED}/changelog.gz
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/docs/raylaunch.schema.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/raylaunch)
# raylaunch autoscale as a service, one instance per spec (docs/autoscaling.md).
install(FILES "${PROJECT_SOURCE_DIR}/cmake/debian/raylaunch-autoscale@.service"
  DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/cmake/debian/lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME raylaunch)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME raylaunch)
set(CPACK_PACKAGE_VENDOR "raylaunch")
set(CPACK_PACKAGE_CONTACT "raylaunch maintainers <raylaunch@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "bring up Ray clusters in Docker from one YAML spec")
# The extended description; CPack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "raylaunch reads one declarative YAML file (a head and groups of workers)
and creates or converges the Ray cluster it describes on a Docker engine:
one container per node, GPUs handed out per replica, ports published on
127.0.0.1. It also shows the cluster's state, runs jobs through Ray's Jobs
API, and exports the cluster for KubeRay or compose.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "docker.io | docker-ce")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
include(CPack)
