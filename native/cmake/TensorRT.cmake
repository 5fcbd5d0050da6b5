# Finds the TensorRT headers and defines the interface target TensorRT::headers; sets
# TRTDIFF_HAVE_TENSORRT, TRTDIFF_TENSORRT_VERSION and TRTDIFF_TRT_LIBDIR (the folder libnvinfer was
# found in, tried first when the addon opens it at run time; the addon never links TensorRT, see
# native/trt_loader.h). Search order: -DTensorRT_ROOT=..., $TensorRT_ROOT, then the Debian/Ubuntu
# package layout and the tarball's usual home. Absent TensorRT is not an error: the runner is simply
# not compiled.
set(TensorRT_ROOT "$ENV{TensorRT_ROOT}" CACHE PATH "TensorRT install prefix (tarball or SDK root)")

set(_trt_hints)
if(TensorRT_ROOT)
  list(APPEND _trt_hints ${TensorRT_ROOT})
endif()
list(APPEND _trt_hints /usr/local/TensorRT /usr)

find_path(TensorRT_INCLUDE_DIR NvInfer.h
  HINTS ${_trt_hints}
  PATH_SUFFIXES include include/x86_64-linux-gnu include/aarch64-linux-gnu)
find_library(TensorRT_nvinfer_LIBRARY NAMES nvinfer nvinfer_10 nvinfer_11
  HINTS ${_trt_hints}
  PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu lib/aarch64-linux-gnu)
find_library(TensorRT_nvonnxparser_LIBRARY NAMES nvonnxparser nvonnxparser_10 nvonnxparser_11
  HINTS ${_trt_hints}
  PATH_SUFFIXES lib lib64 lib/x86_64-linux-gnu lib/aarch64-linux-gnu)

if(TensorRT_INCLUDE_DIR AND EXISTS "${TensorRT_INCLUDE_DIR}/NvOnnxParser.h")
  # NvInferVersion.h spells the version either directly (10.x) or through TRT_*_ENTERPRISE (10.8+, 11.x).
  file(STRINGS "${TensorRT_INCLUDE_DIR}/NvInferVersion.h" _trt_version_lines
       REGEX "#define (NV_TENSORRT|TRT)_(MAJOR|MINOR|PATCH)(_ENTERPRISE)? +[0-9]+")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX MATCH "(NV_TENSORRT_${_part}|TRT_${_part}_ENTERPRISE) +([0-9]+)" _m "${_trt_version_lines}")
    set(_trt_${_part} ${CMAKE_MATCH_2})
  endforeach()
  set(TRTDIFF_TENSORRT_VERSION "${_trt_MAJOR}.${_trt_MINOR}.${_trt_PATCH}")

  if(_trt_MAJOR LESS 10)
    message(FATAL_ERROR "trt-diff: TensorRT ${TRTDIFF_TENSORRT_VERSION} at ${TensorRT_INCLUDE_DIR} is older than 10.0, "
                        "which the runner needs; set TensorRT_ROOT to a TensorRT 10/11 install or -DTRTDIFF_WITH_TENSORRT=OFF")
  endif()
  add_library(TensorRT::headers INTERFACE IMPORTED)
  set_target_properties(TensorRT::headers PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${TensorRT_INCLUDE_DIR}")
  set(TRTDIFF_TRT_LIBDIR "")
  if(TensorRT_nvinfer_LIBRARY)
    get_filename_component(TRTDIFF_TRT_LIBDIR "${TensorRT_nvinfer_LIBRARY}" DIRECTORY)
  endif()
  set(TRTDIFF_CUDART_TARGET CUDA::cudart_static)
  set(TRTDIFF_HAVE_TENSORRT ON)
  message(STATUS "trt-diff: TensorRT ${TRTDIFF_TENSORRT_VERSION} headers at ${TensorRT_INCLUDE_DIR}; "
                 "libnvinfer opened at run time (found here: ${TRTDIFF_TRT_LIBDIR})")
else()
  message(STATUS "trt-diff: TensorRT not found (set TensorRT_ROOT); the TensorRT runner is not built")
endif()
