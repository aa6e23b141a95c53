# ONNX Runtime for the core: headers at build time, and the library path the
# C ABI loads when the host names none (cappy_default_ort_library()). Nothing
# links against libonnxruntime: the core dlopens it (native/core/session).
#
# Headers, first match wins:
#   -DCAPPY_ORT_INCLUDE_DIR=<folder with onnxruntime_cxx_api.h>
#   -DONNXRUNTIME_ROOT=<root> (or the environment variable): an ORT release
#     layout, <root>/include[/onnxruntime] and <root>/lib/libonnxruntime.so
#   find_package(onnxruntime) (ORT's own CMake config, e.g. a system install)
#   the npm package com.github.asus4.onnxruntime, asked of
#     scripts/native-deps.mjs (not with CAPPY_CORE_ONLY: no Node then)
# Library (CAPPY_DEFAULT_ORT_LIBRARY): given, else <root>/lib's or the
# imported target's file (its real path), else "libonnxruntime.so.1".

set(CAPPY_DEFAULT_ORT_LIBRARY "" CACHE STRING "libonnxruntime the C ABI loads when the host names none")
if(NOT ONNXRUNTIME_ROOT AND DEFINED ENV{ONNXRUNTIME_ROOT})
  set(ONNXRUNTIME_ROOT "$ENV{ONNXRUNTIME_ROOT}")
endif()

set(_cappy_ort_lib "")
if(NOT CAPPY_ORT_INCLUDE_DIR AND ONNXRUNTIME_ROOT)
  find_path(CAPPY_ORT_INCLUDE_DIR onnxruntime_cxx_api.h
    PATHS "${ONNXRUNTIME_ROOT}/include" "${ONNXRUNTIME_ROOT}/include/onnxruntime"
          "${ONNXRUNTIME_ROOT}/include/onnxruntime/core/session" "${ONNXRUNTIME_ROOT}"
    NO_DEFAULT_PATH)
  if(NOT CAPPY_ORT_INCLUDE_DIR)
    message(FATAL_ERROR "ONNXRUNTIME_ROOT=${ONNXRUNTIME_ROOT} has no onnxruntime_cxx_api.h under include/")
  endif()
endif()
if(ONNXRUNTIME_ROOT)
  file(GLOB _cappy_ort_libs "${ONNXRUNTIME_ROOT}/lib/libonnxruntime.so*" "${ONNXRUNTIME_ROOT}/lib64/libonnxruntime.so*"
                            "${ONNXRUNTIME_ROOT}/lib/libonnxruntime*.dylib")
  list(SORT _cappy_ort_libs)
  if(_cappy_ort_libs)
    list(GET _cappy_ort_libs 0 _cappy_ort_lib)
  endif()
endif()
if(NOT CAPPY_ORT_INCLUDE_DIR)
  find_package(onnxruntime CONFIG QUIET)
  if(onnxruntime_FOUND AND TARGET onnxruntime::onnxruntime)
    get_target_property(_cappy_ort_incs onnxruntime::onnxruntime INTERFACE_INCLUDE_DIRECTORIES)
    find_path(CAPPY_ORT_INCLUDE_DIR onnxruntime_cxx_api.h PATHS ${_cappy_ort_incs} PATH_SUFFIXES onnxruntime NO_DEFAULT_PATH)
    foreach(_config IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION_NOCONFIG)
      get_target_property(_loc onnxruntime::onnxruntime ${_config})
      if(_loc AND NOT _cappy_ort_lib)
        set(_cappy_ort_lib "${_loc}")
      endif()
    endforeach()
  endif()
endif()
if(NOT CAPPY_ORT_INCLUDE_DIR AND NOT CAPPY_CORE_ONLY)
  cappy_find_headers(CAPPY_ORT_INCLUDE_DIR ort-include onnxruntime_cxx_api.h)
endif()
if(NOT CAPPY_ORT_INCLUDE_DIR OR NOT EXISTS "${CAPPY_ORT_INCLUDE_DIR}/onnxruntime_cxx_api.h")
  message(FATAL_ERROR "ONNX Runtime headers not found. Pass -DONNXRUNTIME_ROOT=<ORT release folder> "
                      "(include/ and lib/), -DCAPPY_ORT_INCLUDE_DIR=<folder with onnxruntime_cxx_api.h>, "
                      "or make find_package(onnxruntime) work (CMAKE_PREFIX_PATH).")
endif()
if(NOT CAPPY_DEFAULT_ORT_LIBRARY)
  if(_cappy_ort_lib)
    get_filename_component(_cappy_ort_lib "${_cappy_ort_lib}" REALPATH)
    set(CAPPY_DEFAULT_ORT_LIBRARY "${_cappy_ort_lib}")
  else()
    set(CAPPY_DEFAULT_ORT_LIBRARY "libonnxruntime.so.1")
  endif()
endif()
message(STATUS "cappy: ONNX Runtime headers ${CAPPY_ORT_INCLUDE_DIR}; default library ${CAPPY_DEFAULT_ORT_LIBRARY}")
