# DockerDiff.cmake: slim image archives as build targets (CMake >= 3.25).
#
# Included by dockerdiff's own CMakeLists.txt (projects that add dockerdiff with
# add_subdirectory() or FetchContent get the function and the in-tree executable) and by the
# installed package config (find_package(DockerDiff CONFIG REQUIRED): the imported executable).

#[=======================================================================[.rst:
add_docker_slim_artifact
------------------------

Declares a slim image archive as a build target: ``dockerdiff slim`` writes the archive of
``TARGET`` with the layers that ``BASE`` holds left as empty files, whenever an input changed.

.. code-block:: cmake

  add_docker_slim_artifact(<name>
    TARGET <archive | dir | docker:REF | podman:REF>
    BASE <archive | dir | docker:REF | podman:REF | inventory.json> [<base>...]
    [OUTPUT <file>]
    [REPORT <file.json>]
    [SUMMARY <file.md>]
    [COMPRESS none|gzip|zstd]
    [LAYOUT auto|keep]
    [DEPENDS <target-or-file>...]
    [INSTALL_DESTINATION <dir> [COMPONENT <component>]]
    [VERIFY]
    [ALL])

``<name>``
  The name of the custom target that builds the artifact. Every artifact also joins the
  umbrella target ``docker_slim_artifacts``.

``TARGET``
  The image to slim: an image archive (``docker save``, OCI, plain or compressed), an OCI
  layout directory, or ``docker:REF`` / ``podman:REF``, saved through that engine's CLI at
  build time (``DOCKER_HOST``, contexts and ``CONTAINER_HOST`` of the build apply).

``BASE``
  What the host already has (the union of all): image archives, OCI layout directories,
  ``docker:REF`` / ``podman:REF``, or inventory JSON files (``dockerdiff inventory``).

  Relative paths in ``TARGET`` and ``BASE`` are relative to ``CMAKE_CURRENT_SOURCE_DIR``.
  Files are tracked as dependencies (an OCI layout directory by its ``index.json``): touching
  one rebuilds the artifact, and nothing changed rebuilds nothing. ``docker:`` and
  ``podman:`` references are resolved to image IDs on every build (``image inspect``); the
  artifact is rewritten only when one of the IDs changed.

``OUTPUT``
  The slim archive. Default: ``${CMAKE_CURRENT_BINARY_DIR}/<name>.tar`` (``.tar.gz`` or
  ``.tar.zst`` with ``COMPRESS``). ``OUTPUT``, ``REPORT`` and ``SUMMARY`` may be relative to
  ``CMAKE_CURRENT_BINARY_DIR``.

``REPORT``, ``SUMMARY``
  Also write the JSON report (``dockerdiff.report/v1``: ``input_bytes``, ``output_bytes``,
  ``saved_bytes``, layers...) and the Markdown summary.

``COMPRESS``, ``LAYOUT``
  ``dockerdiff slim --compress`` (default ``none``) and ``--layout`` (default ``auto``).

``DEPENDS``
  Targets or files to build first, e.g. the custom target that runs ``docker build`` for a
  ``docker:REF`` target. A file in ``DEPENDS`` also rebuilds the artifact when it changes.

``INSTALL_DESTINATION``, ``COMPONENT``
  Install the artifact and its report (when there is one) into ``<dir>`` (of the install
  component ``<component>``), so that ``cmake --install`` and CPack ship it. An installed
  artifact is built by the default build (as with ``ALL``).

``VERIFY``
  Register the CTest test ``<name>_verify`` that runs ``dockerdiff verify`` on the output
  (needs ``enable_testing()``). It requires the fixture ``<name>_artifact``, whose setup test
  ``<name>_verify_build`` builds the target ``<name>`` (``cmake --build``): ``ctest`` before the
  build, or after an input changed, verifies the artifact as the build would write it.

``ALL``
  Build the artifact with the default build target.

The target ``<name>`` has the properties ``DOCKERDIFF_OUTPUT``, ``DOCKERDIFF_REPORT`` and
``DOCKERDIFF_SUMMARY`` (absolute paths; empty when not written) and
``DOCKERDIFF_VERIFY_TEST`` (the test's name, empty without ``VERIFY``).

The ``dockerdiff`` executable is the target ``DockerDiff::dockerdiff``: the in-tree one
after ``add_subdirectory()`` / ``FetchContent_MakeAvailable()``, the imported one after
``find_package(DockerDiff CONFIG REQUIRED)``. Artifacts are rebuilt when it changes.

Example:

.. code-block:: cmake

  find_package(DockerDiff CONFIG REQUIRED)
  add_custom_target(app_image
    COMMAND docker build -t myapp:1 ${CMAKE_CURRENT_SOURCE_DIR}/docker
    VERBATIM)
  add_docker_slim_artifact(app
    TARGET docker:myapp:1
    BASE docker:debian:12
    DEPENDS app_image
    COMPRESS zstd
    REPORT app.report.json
    INSTALL_DESTINATION share/myapp/images
    VERIFY)
#]=======================================================================]

include_guard(GLOBAL)
cmake_policy(PUSH)
cmake_policy(VERSION 3.25)

define_property(TARGET PROPERTY DOCKERDIFF_OUTPUT
  BRIEF_DOCS "The slim archive add_docker_slim_artifact() writes")
define_property(TARGET PROPERTY DOCKERDIFF_REPORT
  BRIEF_DOCS "The JSON report add_docker_slim_artifact() writes (empty: none)")
define_property(TARGET PROPERTY DOCKERDIFF_SUMMARY
  BRIEF_DOCS "The Markdown summary add_docker_slim_artifact() writes (empty: none)")
define_property(TARGET PROPERTY DOCKERDIFF_VERIFY_TEST
  BRIEF_DOCS "The CTest test add_docker_slim_artifact(... VERIFY) registers (empty: none)")

# The one place that knows where dockerdiff is: sets <out> to the command that runs it.
function(_dockerdiff_executable out where)
  if(NOT TARGET DockerDiff::dockerdiff)
    message(FATAL_ERROR "${where}: there is no DockerDiff::dockerdiff target. Add dockerdiff "
      "with add_subdirectory() or FetchContent, or call find_package(DockerDiff CONFIG REQUIRED), "
      "before declaring artifacts.")
  endif()
  set(${out} "$<TARGET_FILE:DockerDiff::dockerdiff>" PARENT_SCOPE)
endfunction()

# _dockerdiff_source(<spec> <where> <keyword>): classifies one TARGET or BASE. Sets in the
# caller: _dd_arg (the argument for dockerdiff), _dd_deps (files to track) and _dd_ref (the
# docker:/podman: reference, else empty).
function(_dockerdiff_source spec where keyword)
  set(deps "")
  set(ref "")
  if("${spec}" STREQUAL "")
    message(FATAL_ERROR "${where}: empty ${keyword}")
  elseif(spec STREQUAL "-")
    message(FATAL_ERROR "${where}: ${keyword} '-' (standard input) cannot be a build input; name a file")
  elseif(spec MATCHES "^(docker|podman):(.*)$")
    if("${CMAKE_MATCH_2}" STREQUAL "")
      message(FATAL_ERROR "${where}: ${keyword} '${spec}' names no image")
    endif()
    set(arg "${spec}")
    set(ref "${spec}")
  elseif(spec MATCHES "\\$<")
    # A generator expression: passed on, and tracked, as a file.
    set(arg "${spec}")
    set(deps "${spec}")
  else()
    cmake_path(ABSOLUTE_PATH spec BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE OUTPUT_VARIABLE arg)
    if(IS_DIRECTORY "${arg}")
      # An OCI layout directory: its index.json names everything else (content-addressed blobs).
      set(deps "${arg}/index.json")
    else()
      set(deps "${arg}")
    endif()
  endif()
  set(_dd_arg "${arg}" PARENT_SCOPE)
  set(_dd_deps "${deps}" PARENT_SCOPE)
  set(_dd_ref "${ref}" PARENT_SCOPE)
endfunction()

function(add_docker_slim_artifact)
  set(fn add_docker_slim_artifact)
  set(options VERIFY ALL)
  set(one_value TARGET OUTPUT REPORT SUMMARY COMPRESS LAYOUT INSTALL_DESTINATION COMPONENT)
  set(multi_value BASE DEPENDS)
  set(keywords ${options} ${one_value} ${multi_value})

  if(ARGC LESS 1 OR "${ARGV0}" STREQUAL "")
    message(FATAL_ERROR "${fn}(): the first argument must be the artifact's name")
  endif()
  set(name "${ARGV0}")
  if(name IN_LIST keywords)
    message(FATAL_ERROR "${fn}(${name}): the first argument must be the artifact's name, not the keyword ${name}")
  endif()
  set(where "${fn}(${name})")
  if(NOT name MATCHES "^[A-Za-z0-9_.+-]+$")
    message(FATAL_ERROR "${where}: '${name}' is not a valid target name (letters, digits, _ . + -)")
  endif()

  cmake_parse_arguments(PARSE_ARGV 1 arg "${options}" "${one_value}" "${multi_value}")

  if(DEFINED arg_UNPARSED_ARGUMENTS)
    list(GET arg_UNPARSED_ARGUMENTS 0 first)
    string(REPLACE ";" " " keyword_list "${keywords}")
    message(FATAL_ERROR "${where}: unknown keyword or argument '${first}' (keywords: ${keyword_list})")
  endif()
  if(DEFINED arg_KEYWORDS_MISSING_VALUES)
    string(REPLACE ";" ", " missing "${arg_KEYWORDS_MISSING_VALUES}")
    message(FATAL_ERROR "${where}: ${missing} given without a value")
  endif()
  if(NOT DEFINED arg_TARGET)
    message(FATAL_ERROR "${where}: missing TARGET (the image to slim: an archive, a directory, docker:REF or podman:REF)")
  endif()
  if(NOT DEFINED arg_BASE)
    message(FATAL_ERROR "${where}: missing BASE (what the host already has: archives, directories, docker:REF, podman:REF or inventory JSON files)")
  endif()
  # cmake_parse_arguments takes any word after BASE for a base: a word in capitals is far more
  # likely a misspelt keyword than a file of that name.
  foreach(base IN LISTS arg_BASE)
    if(base MATCHES "^[A-Z][A-Z0-9_]*$")
      message(FATAL_ERROR "${where}: unknown keyword '${base}' (after BASE it would be taken for a base: "
        "an archive, a directory, docker:REF, podman:REF or an inventory JSON file)")
    endif()
  endforeach()

  if(NOT DEFINED arg_COMPRESS)
    set(arg_COMPRESS none)
  endif()
  if(NOT arg_COMPRESS MATCHES "^(none|gzip|zstd)$")
    message(FATAL_ERROR "${where}: COMPRESS must be none, gzip or zstd, not '${arg_COMPRESS}'")
  endif()
  if(NOT DEFINED arg_LAYOUT)
    set(arg_LAYOUT auto)
  endif()
  if(NOT arg_LAYOUT MATCHES "^(auto|keep)$")
    message(FATAL_ERROR "${where}: LAYOUT must be auto or keep, not '${arg_LAYOUT}'")
  endif()
  if(DEFINED arg_COMPONENT AND NOT DEFINED arg_INSTALL_DESTINATION)
    message(FATAL_ERROR "${where}: COMPONENT needs INSTALL_DESTINATION")
  endif()

  get_property(artifacts GLOBAL PROPERTY DOCKERDIFF_ARTIFACTS)
  if(name IN_LIST artifacts)
    message(FATAL_ERROR "${where}: an artifact named '${name}' is already declared")
  elseif(TARGET "${name}")
    message(FATAL_ERROR "${where}: a target named '${name}' already exists")
  endif()

  _dockerdiff_executable(dockerdiff "${where}")

  # Inputs: files are tracked, engine references resolved at build time.
  set(file_deps "")
  set(refs "")
  _dockerdiff_source("${arg_TARGET}" "${where}" TARGET)
  set(slim_args slim "${_dd_arg}")
  list(APPEND file_deps ${_dd_deps})
  list(APPEND refs ${_dd_ref})
  foreach(base IN LISTS arg_BASE)
    _dockerdiff_source("${base}" "${where}" BASE)
    list(APPEND slim_args -b "${_dd_arg}")
    list(APPEND file_deps ${_dd_deps})
    list(APPEND refs ${_dd_ref})
  endforeach()

  # Outputs: absolute, and each written by one artifact only.
  if(NOT DEFINED arg_OUTPUT)
    set(extension_none .tar)
    set(extension_gzip .tar.gz)
    set(extension_zstd .tar.zst)
    set(arg_OUTPUT "${name}${extension_${arg_COMPRESS}}")
  endif()
  set(written "")
  foreach(kind OUTPUT REPORT SUMMARY)
    if(DEFINED arg_${kind})
      cmake_path(ABSOLUTE_PATH arg_${kind} BASE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}" NORMALIZE)
      get_property(owner GLOBAL PROPERTY "DOCKERDIFF_WRITER:${arg_${kind}}")
      if(NOT "${owner}" STREQUAL "" OR arg_${kind} IN_LIST written)
        if("${owner}" STREQUAL "")
          set(owner "${name}")
        endif()
        message(FATAL_ERROR "${where}: ${kind} ${arg_${kind}} is already written by the artifact ${owner}")
      endif()
      list(APPEND written "${arg_${kind}}")
    else()
      set(arg_${kind} "")
    endif()
  endforeach()
  foreach(path IN LISTS written)
    set_property(GLOBAL PROPERTY "DOCKERDIFF_WRITER:${path}" "${name}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY DOCKERDIFF_ARTIFACTS "${name}")

  set(directories "")
  foreach(path IN LISTS written)
    cmake_path(GET path PARENT_PATH directory)
    list(APPEND directories "${directory}")
  endforeach()
  list(REMOVE_DUPLICATES directories)

  list(APPEND slim_args -o "${arg_OUTPUT}" --layout "${arg_LAYOUT}" --compress "${arg_COMPRESS}")
  set(byproducts "")
  if(NOT "${arg_REPORT}" STREQUAL "")
    list(APPEND slim_args --report "${arg_REPORT}")
    list(APPEND byproducts "${arg_REPORT}")
  endif()
  if(NOT "${arg_SUMMARY}" STREQUAL "")
    list(APPEND slim_args --summary "${arg_SUMMARY}")
    list(APPEND byproducts "${arg_SUMMARY}")
  endif()
  list(APPEND slim_args -q)

  # docker:/podman: references: the resolver runs on every build (it depends on a symbolic
  # file that never exists) and rewrites the stamp only when an image ID changed; the slim
  # command depends on the stamp, so it runs only then (Ninja: restat; make: the stamp's time).
  set(stamp "")
  if(NOT "${refs}" STREQUAL "")
    set(work "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/DockerDiff")
    set(stamp "${work}/${name}.image-ids")
    set(always "${work}/${name}.always")
    # (A command, not a phony rule: Ninja takes a phony rule with order-only dependencies,
    # which every command of a target with target-level dependencies has, for up to date.)
    string(REPLACE ";" ", " refs_text "${refs}")
    add_custom_command(OUTPUT "${always}"
      COMMAND "${CMAKE_COMMAND}" -E true
      COMMENT "Checking the images of ${name}: ${refs_text}"
      VERBATIM)
    set_property(SOURCE "${always}" PROPERTY SYMBOLIC TRUE)
    add_custom_command(
      OUTPUT "${stamp}"
      COMMAND "${CMAKE_COMMAND}" "-DDOCKERDIFF_ARTIFACT=${name}" "-DDOCKERDIFF_STAMP=${stamp}"
              -P "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/DockerDiffResolveImages.cmake" -- ${refs}
      DEPENDS "${always}" ${arg_DEPENDS}
      COMMENT "Resolving the images of ${name}"
      VERBATIM)
  endif()

  string(REPLACE ";" ", " bases_text "${arg_BASE}")
  add_custom_command(
    OUTPUT "${arg_OUTPUT}"
    BYPRODUCTS ${byproducts}
    COMMAND "${CMAKE_COMMAND}" -E make_directory ${directories}
    COMMAND "${dockerdiff}" ${slim_args}
    DEPENDS ${file_deps} ${stamp} ${arg_DEPENDS} "${dockerdiff}"
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
    COMMENT "Slimming ${name}: ${arg_TARGET} against ${bases_text}"
    VERBATIM)

  set(all "")
  if(arg_ALL OR DEFINED arg_INSTALL_DESTINATION)
    set(all ALL)
  endif()
  add_custom_target("${name}" ${all} DEPENDS "${arg_OUTPUT}")
  set_target_properties("${name}" PROPERTIES
    DOCKERDIFF_OUTPUT "${arg_OUTPUT}"
    DOCKERDIFF_REPORT "${arg_REPORT}"
    DOCKERDIFF_SUMMARY "${arg_SUMMARY}"
    DOCKERDIFF_VERIFY_TEST "")

  if(NOT TARGET docker_slim_artifacts)
    add_custom_target(docker_slim_artifacts)
  endif()
  add_dependencies(docker_slim_artifacts "${name}")

  if(arg_VERIFY)
    # The test checks what the build writes, so it brings the artifact up to date first: a
    # FIXTURES_SETUP test runs `cmake --build` of the target (CTest's way to have a test need a
    # build step), so that ctest run before the build, or after an input changed, verifies a
    # current artifact instead of failing on a missing one or passing on a stale one.
    # CMAKE_BINARY_DIR: the build tree that has the target, whichever directory declared it.
    set(config "")
    get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
    if(multi_config)
      set(config --config "$<CONFIG>")
    endif()
    add_test(NAME "${name}_verify_build"
      COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target "${name}" ${config})
    add_test(NAME "${name}_verify" COMMAND "${dockerdiff}" verify "${arg_OUTPUT}")
    # One build at a time in the tree: two builds run by ctest -j would race on the same outputs
    # (the in-tree dockerdiff, the build tool's own logs).
    set_tests_properties("${name}_verify_build" PROPERTIES
      FIXTURES_SETUP "${name}_artifact"
      RESOURCE_LOCK docker_slim_artifacts_build)
    set_tests_properties("${name}_verify" PROPERTIES FIXTURES_REQUIRED "${name}_artifact")
    set_target_properties("${name}" PROPERTIES DOCKERDIFF_VERIFY_TEST "${name}_verify")
  endif()

  if(DEFINED arg_INSTALL_DESTINATION)
    set(component "")
    if(DEFINED arg_COMPONENT)
      set(component COMPONENT "${arg_COMPONENT}")
    endif()
    install(FILES "${arg_OUTPUT}" ${arg_REPORT} DESTINATION "${arg_INSTALL_DESTINATION}" ${component})
  endif()
endfunction()

cmake_policy(POP)
