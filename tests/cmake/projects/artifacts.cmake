# The artifacts of the subdirectory and package samples (each gets DockerDiff::dockerdiff its
# own way, then includes this). SAMPLE_INPUTS: the test's copies of examples/ (app.tar.gz,
# base.tar.gz), app.tar (app.tar.gz decompressed: the same image in another file), base-oci/
# (the base as an OCI layout directory) and empty-inventory.json (an inventory of nothing).

# Default output (app.tar), report and summary in a subdirectory, installed, verified.
add_docker_slim_artifact(app
  TARGET "${SAMPLE_INPUTS}/app.tar.gz"
  BASE "${SAMPLE_INPUTS}/base.tar.gz"
  REPORT reports/app.json
  SUMMARY reports/app.md
  INSTALL_DESTINATION share/sample/images
  COMPONENT images
  VERIFY)

# zstd (default output app_zstd.tar.zst), the input's layout kept, built by default.
add_docker_slim_artifact(app_zstd
  TARGET "${SAMPLE_INPUTS}/app.tar"
  BASE "${SAMPLE_INPUTS}/base.tar.gz"
  COMPRESS zstd
  LAYOUT keep
  REPORT app_zstd.json
  VERIFY
  ALL)

# Bases: an OCI layout directory (tracked by its index.json) and an inventory file.
add_docker_slim_artifact(app_oci_base
  TARGET "${SAMPLE_INPUTS}/app.tar"
  BASE "${SAMPLE_INPUTS}/base-oci" "${SAMPLE_INPUTS}/empty-inventory.json"
  REPORT app_oci_base.json
  ALL)

# Not built by default: only through its target or docker_slim_artifacts.
add_docker_slim_artifact(app_later
  TARGET "${SAMPLE_INPUTS}/app.tar.gz"
  BASE "${SAMPLE_INPUTS}/base.tar.gz"
  OUTPUT later/app-later.tar.gz
  COMPRESS gzip)

# What the targets say about themselves, for the test to compare.
set(properties "")
foreach(artifact IN ITEMS app app_zstd app_oci_base app_later)
  foreach(property IN ITEMS DOCKERDIFF_OUTPUT DOCKERDIFF_REPORT DOCKERDIFF_SUMMARY DOCKERDIFF_VERIFY_TEST)
    get_target_property(value ${artifact} ${property})
    string(APPEND properties "${artifact} ${property}=${value}\n")
  endforeach()
endforeach()
file(WRITE "${CMAKE_BINARY_DIR}/artifact-properties.txt" "${properties}")

set(CPACK_PACKAGE_NAME dockerdiff-sample)
set(CPACK_GENERATOR TGZ)
set(CPACK_PACKAGE_FILE_NAME sample-images)
include(CPack)
