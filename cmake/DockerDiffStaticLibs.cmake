# DOCKERDIFF_STATIC=ON (README "Building"): the static archives (.a) that the dockerdiff executable
# links instead of the shared libraries, as one INTERFACE target, dockerdiff_static_libs. Only the
# link changes; compiling uses the same headers (all in the compiler's default include paths).
#
# Debian's -dev packages ship these archives, for the build's architecture and, with multiarch
# (dpkg --add-architecture arm64), for arm64 (CMAKE_LIBRARY_ARCHITECTURE, from the compiler or the
# toolchain file, picks /usr/lib/<triplet>). ISA-L is the exception: Debian builds it with
# --disable-static, so scripts/install-static-isal builds libisal.a from Debian's own source
# package into DOCKERDIFF_STATIC_PREFIX/<triplet>/lib.
#
# Order matters for a static link: each archive before the archives it needs.
set(DOCKERDIFF_STATIC_PREFIX /opt/dockerdiff-static CACHE PATH
    "Where scripts/install-static-isal put libisal.a (under <prefix>/<multiarch triplet>/lib)")

# libarchive.a's own dependencies (its .pc's Libs.private) as far as the members dockerdiff pulls
# in need them (found by linking): zstd, xz, bzip2, zlib; libacl, lz4 and libb2 are never
# referenced. libxml2 (with ICU) and nettle are referenced only by writers dockerdiff never uses,
# which the pax writer drags in: src/static/libarchive_left_out.cpp stands in for them.
set(dockerdiff_static_names archive isal zstd lzma bz2 z crypto)
set(dockerdiff_static_paths)
foreach(name IN LISTS dockerdiff_static_names)
  set(var DOCKERDIFF_STATIC_LIB_${name})
  find_library(${var} NAMES lib${name}.a
    HINTS "${DOCKERDIFF_STATIC_PREFIX}/${CMAKE_LIBRARY_ARCHITECTURE}/lib"
    NO_CMAKE_ENVIRONMENT_PATH NO_CMAKE_SYSTEM_PATH NO_SYSTEM_ENVIRONMENT_PATH
    PATHS "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
  if(NOT ${var})
    if(name STREQUAL "isal")
      set(hint "Debian ships no libisal.a: run scripts/install-static-isal")
    else()
      set(hint "install the -dev package for ${CMAKE_LIBRARY_ARCHITECTURE} (scripts/install-deps)")
    endif()
    message(FATAL_ERROR "DOCKERDIFF_STATIC: lib${name}.a not found for ${CMAKE_LIBRARY_ARCHITECTURE}: ${hint}")
  endif()
  list(APPEND dockerdiff_static_paths "${${var}}")
endforeach()

add_library(dockerdiff_static_libs INTERFACE)
target_link_libraries(dockerdiff_static_libs INTERFACE ${dockerdiff_static_paths} Threads::Threads)
