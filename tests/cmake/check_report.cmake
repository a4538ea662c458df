# check_report.cmake: a slim report (dockerdiff.report/v1) describes its output.
#
#   cmake -DREPORT=<file.json> -DOUTPUT=<archive> [-DINPUT=<archive>] [-DDROPPED=<n>] [-DLAYOUT=<layout>]
#         -P check_report.cmake
#
# output_bytes is OUTPUT's size, input_bytes INPUT's (when given), saved_bytes their difference
# (and more than nothing), the one output is OUTPUT in LAYOUT, and DROPPED layers were dropped.
cmake_minimum_required(VERSION 3.25)

function(expect what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(FATAL_ERROR "${REPORT}: ${what}: expected '${expected}', got '${actual}'")
  endif()
endfunction()

foreach(file IN ITEMS REPORT OUTPUT)
  if(NOT EXISTS "${${file}}")
    message(FATAL_ERROR "${file} '${${file}}' does not exist")
  endif()
endforeach()
file(READ "${REPORT}" json)

string(JSON schema GET "${json}" schema)
expect("schema" "${schema}" "dockerdiff.report/v1")
string(JSON input_bytes GET "${json}" input_bytes)
string(JSON output_bytes GET "${json}" output_bytes)
string(JSON saved_bytes GET "${json}" saved_bytes)

file(SIZE "${OUTPUT}" output_size)
expect("output_bytes (the size of ${OUTPUT})" "${output_bytes}" "${output_size}")
if(DEFINED INPUT AND NOT "${INPUT}" STREQUAL "")
  file(SIZE "${INPUT}" input_size)
  expect("input_bytes (the size of ${INPUT})" "${input_bytes}" "${input_size}")
endif()
math(EXPR difference "${input_bytes} - ${output_bytes}")
expect("saved_bytes (input_bytes - output_bytes)" "${saved_bytes}" "${difference}")
if(NOT saved_bytes GREATER 0)
  message(FATAL_ERROR "${REPORT}: saved_bytes is ${saved_bytes}: nothing was left out")
endif()

string(JSON outputs LENGTH "${json}" outputs)
expect("number of outputs" "${outputs}" 1)
string(JSON path GET "${json}" outputs 0 path)
expect("outputs[0].path" "${path}" "${OUTPUT}")
if(DEFINED LAYOUT AND NOT "${LAYOUT}" STREQUAL "")
  string(JSON layout GET "${json}" outputs 0 layout)
  expect("outputs[0].layout" "${layout}" "${LAYOUT}")
endif()

if(DEFINED DROPPED AND NOT "${DROPPED}" STREQUAL "")
  set(dropped 0)
  string(JSON images LENGTH "${json}" images)
  math(EXPR last_image "${images} - 1")
  foreach(i RANGE ${last_image})
    string(JSON layers LENGTH "${json}" images ${i} layers)
    math(EXPR last_layer "${layers} - 1")
    foreach(j RANGE ${last_layer})
      string(JSON is_dropped GET "${json}" images ${i} layers ${j} dropped)
      if(is_dropped)
        math(EXPR dropped "${dropped} + 1")
      endif()
    endforeach()
  endforeach()
  expect("layers dropped" "${dropped}" "${DROPPED}")
endif()
message(STATUS "${REPORT}: ${input_bytes} -> ${output_bytes} bytes, saved ${saved_bytes}")
