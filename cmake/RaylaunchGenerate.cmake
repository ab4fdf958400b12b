# Writes what is made from the built binary, so it cannot drift from the
# parser: the man page (gzipped, as Debian ships it) and the three shell
# completions, and the changelog the package needs (changelog.gz: a native package).
#   cmake -DRAYLAUNCH=path/to/raylaunch -DOUT=dir -DVERSION=x.y.z -P RaylaunchGenerate.cmake
file(MAKE_DIRECTORY ${OUT})
execute_process(COMMAND ${RAYLAUNCH} __man OUTPUT_FILE ${OUT}/raylaunch.1 COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${RAYLAUNCH} completion bash OUTPUT_FILE ${OUT}/raylaunch.bash
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${RAYLAUNCH} completion zsh OUTPUT_FILE ${OUT}/_raylaunch
  COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${RAYLAUNCH} completion fish OUTPUT_FILE ${OUT}/raylaunch.fish
  COMMAND_ERROR_IS_FATAL ANY)
file(WRITE ${OUT}/changelog
  "raylaunch (${VERSION}) unstable; urgency=medium\n\n"
  "  * Packaged with CPack from the raylaunch source tree.\n\n"
  " -- raylaunch maintainers <raylaunch@example.org>  Sun, 29 Nov 2026 00:00:00 +0000\n")
# -n: no name or time stamp in the gzip header, so the files are reproducible.
foreach(file raylaunch.1 changelog)
  execute_process(COMMAND gzip -9nf ${OUT}/${file} COMMAND_ERROR_IS_FATAL ANY)
endforeach()
