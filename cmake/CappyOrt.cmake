# ONNX Runtime for the core: headers at build time, and the library the C ABI
# loads when the host names none (cappy_default_ort_library()). Nothing links
# against libonnxruntime: the core dlopens it (native/core/session).
#
# Headers, first match wins:
#   -DCAPPY_ORT_INCLUDE_DIR=<folder with onnxruntime_cxx_api.h>
#   -DONNXRUNTIME_ROOT=<root> (or the environment variable): an ORT release
#     layout, <root>/include[/onnxruntime] and <root>/lib/libonnxruntime.so
#   the ORT 1.29 API headers vendored in native/core/third_party/onnxruntime
#     (MIT; their LICENSE is installed with the core)
# Library the C ABI loads by default (CAPPY_DEFAULT_ORT_LIBRARY):
#   -DCAPPY_INSTALL_ORT_LIBRARY=<libonnxruntime.so>: installed beside libcappy
#     as libonnxruntime.so.1, and that installed file is the default;
#   else -DCAPPY_DEFAULT_ORT_LIBRARY=<path>; else <root>/lib's file (its real
#   path); else the soname "libonnxruntime.so.1".
# At run time libcappy falls back from a configured file that is gone to
# CAPPY_ORT_LIB, then to the soname (native/core/capi/c_api.cc).

set(CAPPY_DEFAULT_ORT_LIBRARY "" CACHE STRING "libonnxruntime the C ABI loads when the host names none")
set(CAPPY_INSTALL_ORT_LIBRARY "" CACHE FILEPATH "An ORT library to install beside libcappy (and load by default)")
set(CAPPY_INSTALL_ORT_NOTICES "" CACHE FILEPATH "ORT's third-party notices, installed with that library")
if(NOT ONNXRUNTIME_ROOT AND DEFINED ENV{ONNXRUNTIME_ROOT})
  set(ONNXRUNTIME_ROOT "$ENV{ONNXRUNTIME_ROOT}")
endif()
set(CAPPY_VENDORED_ORT_DIR "${CMAKE_CURRENT_SOURCE_DIR}/native/core/third_party/onnxruntime")

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
  set(CAPPY_ORT_INCLUDE_DIR "${CAPPY_VENDORED_ORT_DIR}/include" CACHE PATH "Folder with onnxruntime_cxx_api.h")
endif()
if(NOT EXISTS "${CAPPY_ORT_INCLUDE_DIR}/onnxruntime_cxx_api.h")
  message(FATAL_ERROR "CAPPY_ORT_INCLUDE_DIR=${CAPPY_ORT_INCLUDE_DIR} has no onnxruntime_cxx_api.h")
endif()

include(GNUInstallDirs)
if(CAPPY_INSTALL_ORT_LIBRARY)
  if(NOT EXISTS "${CAPPY_INSTALL_ORT_LIBRARY}")
    message(FATAL_ERROR "CAPPY_INSTALL_ORT_LIBRARY=${CAPPY_INSTALL_ORT_LIBRARY} does not exist")
  endif()
  set(CAPPY_DEFAULT_ORT_LIBRARY "${CMAKE_INSTALL_FULL_LIBDIR}/libonnxruntime.so.1" CACHE STRING "" FORCE)
elseif(NOT CAPPY_DEFAULT_ORT_LIBRARY)
  if(_cappy_ort_lib)
    get_filename_component(_cappy_ort_lib "${_cappy_ort_lib}" REALPATH)
    set(CAPPY_DEFAULT_ORT_LIBRARY "${_cappy_ort_lib}")
  else()
    set(CAPPY_DEFAULT_ORT_LIBRARY "libonnxruntime.so.1")
  endif()
endif()
message(STATUS "cappy: ONNX Runtime headers ${CAPPY_ORT_INCLUDE_DIR}; default library ${CAPPY_DEFAULT_ORT_LIBRARY}")
