# CPack's per-generator settings (CPACK_PROJECT_CONFIG_FILE of cmake/Packaging.cmake; read by cpack
# with CPACK_GENERATOR set to the generator at work).
if(CPACK_GENERATOR STREQUAL "DEB")
  # /usr/bin/dockerdiff, /usr/lib/cmake/DockerDiff: the paths a Debian package owns and CMake searches.
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
endif()
