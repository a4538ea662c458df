# DockerDiffResolveImages.cmake: the build-time half of add_docker_slim_artifact() for
# docker:REF / podman:REF inputs. Run on every build:
#
#   cmake -DDOCKERDIFF_ARTIFACT=<name> -DDOCKERDIFF_STAMP=<file> -P DockerDiffResolveImages.cmake -- <ref>...
#
# Asks the engine for the ID of each image (`docker|podman image inspect --format {{.Id}}`,
# through the CLI first in PATH, as dockerdiff does) and writes "<ref> <id>" lines to the stamp
# file only when they differ from what it holds: the slim command depends on the stamp, so it
# runs again only when an image changed.
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED DOCKERDIFF_STAMP OR NOT DEFINED DOCKERDIFF_ARTIFACT)
  message(FATAL_ERROR "usage: cmake -DDOCKERDIFF_ARTIFACT=<name> -DDOCKERDIFF_STAMP=<file> -P ${CMAKE_CURRENT_LIST_FILE} -- <ref>...")
endif()
set(where "add_docker_slim_artifact(${DOCKERDIFF_ARTIFACT})")

set(refs "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_separator)
    list(APPEND refs "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if("${refs}" STREQUAL "")
  message(FATAL_ERROR "${where}: no docker:/podman: reference to resolve")
endif()

set(content "")
foreach(ref IN LISTS refs)
  if(NOT ref MATCHES "^(docker|podman):(.+)$")
    message(FATAL_ERROR "${where}: '${ref}' is not a docker:REF or podman:REF")
  endif()
  set(engine "${CMAKE_MATCH_1}")
  set(image "${CMAKE_MATCH_2}")
  execute_process(
    COMMAND "${engine}" image inspect --format "{{.Id}}" "${image}"
    RESULT_VARIABLE result
    OUTPUT_VARIABLE id
    ERROR_VARIABLE error
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_STRIP_TRAILING_WHITESPACE)
  if(NOT "${result}" STREQUAL "0" OR "${id}" STREQUAL "")
    message(FATAL_ERROR "${where}: cannot resolve ${ref}: `${engine} image inspect ${image}` failed (${result}): ${error}")
  endif()
  string(APPEND content "${ref} ${id}\n")
endforeach()

set(previous "")
if(EXISTS "${DOCKERDIFF_STAMP}")
  file(READ "${DOCKERDIFF_STAMP}" previous)
endif()
if(NOT "${content}" STREQUAL "${previous}")
  # Written beside the stamp and renamed, so an interrupted build never leaves half a stamp.
  file(WRITE "${DOCKERDIFF_STAMP}.tmp" "${content}")
  file(RENAME "${DOCKERDIFF_STAMP}.tmp" "${DOCKERDIFF_STAMP}")
  string(STRIP "${content}" ids)
  string(REPLACE "\n" "; " ids "${ids}")
  message(STATUS "${DOCKERDIFF_ARTIFACT}: images changed: ${ids}")
endif()
