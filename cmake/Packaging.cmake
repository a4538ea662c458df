# Binary packages of this build (README "Building"), from whatever the build tree made:
#
#   cpack --config build/CPackConfig.cmake -G DEB   dockerdiff_<version>_<arch>.deb: /usr/bin/dockerdiff
#                                                   and the CMake package; Depends computed by dpkg-shlibdeps
#   cpack --config build/CPackConfig.cmake -G TGZ   dockerdiff-<version>-linux-<arch>.tar.gz (meant for the
#                                                   static build: no dependencies to declare)
#
# Included by the top-level CMakeLists.txt only when this project is the top level: a project that
# adds dockerdiff packages itself.

# The Debian architecture of the machine the build is for, not of the one building it: a cross
# build's CMAKE_SYSTEM_PROCESSOR is the target's (dpkg --print-architecture would name the host).
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" dockerdiff_processor)
set(dockerdiff_debian_arches
  "x86_64|amd64" "amd64|amd64" "aarch64|arm64" "arm64|arm64" "armv7l|armhf" "armv7-a|armhf" "armhf|armhf"
  "i386|i386" "i486|i386" "i586|i386" "i686|i386" "ppc64le|ppc64el" "s390x|s390x" "riscv64|riscv64")
set(dockerdiff_package_arch "")
foreach(pair IN LISTS dockerdiff_debian_arches)
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 processor)
  if(processor STREQUAL dockerdiff_processor)
    list(GET pair 1 dockerdiff_package_arch)
    break()
  endif()
endforeach()
if(NOT dockerdiff_package_arch)
  # An architecture not in the table keeps its own name, visibly, rather than a wrong one.
  set(dockerdiff_package_arch "${dockerdiff_processor}")
  message(STATUS "Packaging: no Debian name known for processor '${CMAKE_SYSTEM_PROCESSOR}', packages say '${dockerdiff_package_arch}'")
endif()

# Placeholders like the README's and ci/'s OWNER/dockerdiff: a release sets them on the command line.
set(DOCKERDIFF_PACKAGE_HOMEPAGE "https://github.com/OWNER/dockerdiff" CACHE STRING "Homepage of the binary packages")
set(DOCKERDIFF_PACKAGE_MAINTAINER "dockerdiff maintainers <dockerdiff@OWNER.invalid>" CACHE STRING
    "Maintainer of the binary packages (Name <email>)")

set(CPACK_PACKAGE_NAME dockerdiff)
set(CPACK_PACKAGE_VENDOR dockerdiff)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${DOCKERDIFF_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${DOCKERDIFF_PACKAGE_HOMEPAGE}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
# The long description, in lines of Debian's width (CPack indents them in the control file).
set(CPACK_PACKAGE_DESCRIPTION "\
dockerdiff slim writes an image archive (docker save, podman save, OCI layout)
with the layers the target host already has left as empty files: docker load,
podman load and containerd still load it there, and skip those layers. It also
verifies, inspects and restores such archives, and checks what a host holds.

Includes the CMake package DockerDiff: find_package(DockerDiff CONFIG) gives
the imported executable and add_docker_slim_artifact().")
# Debug information stays in the build tree; the packages ship stripped executables.
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR "DEB;TGZ")
# The archive: dockerdiff-<version>-linux-<arch>.tar.gz, one top directory of the same name, holding
# bin/ and lib/cmake/ (relocatable: the CMake package finds the executable relative to itself).
set(CPACK_PACKAGE_FILE_NAME "dockerdiff-${PROJECT_VERSION}-linux-${dockerdiff_package_arch}")

# The Debian package: dockerdiff_<version>_<arch>.deb (DEB-DEFAULT, from the fields below).
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "${dockerdiff_package_arch}")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: dpkg-shlibdeps (package dpkg-dev) names the packages of the libraries the executable
# loads, with the versions their symbols need; nothing is written here by hand. A library that no
# installed package owns is left out (CPack runs it with --ignore-missing-info): build against
# Debian's -dev packages (scripts/install-deps), as the dist_deb tests check.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The engines dockerdiff drives for docker:REF / podman:REF inputs and `load`; files need none.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "docker.io | podman, containerd")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian packages install under /usr (CPack's default for DEB, stated); the archive is rooted at
# its top directory.
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_CURRENT_LIST_DIR}/PackagingGenerator.cmake")

# cpack --config build/CPackSourceConfig.cmake: the source tree without build trees or git.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_PACKAGE_FILE_NAME "dockerdiff-${PROJECT_VERSION}-source")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/\\\\.git$" "/build[^/]*/" "/node_modules/")

include(CPack)
