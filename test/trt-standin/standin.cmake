# Stand-in TensorRT for the contract harness (included by the top-level CMakeLists.txt when
# -DTRTDIFF_TRT_STANDIN=<TensorRT include folder>). Builds, against those real headers:
#   libtrtstandin_cudart.so   CUDA runtime subset on host memory (cuda/cuda_runtime_api.h)
#   lib/libnvinfer.so.<major>       runtime, engine, context, inspector, builder, network
#   lib/libnvonnxparser.so.<major>  ONNX parser over the real .onnx file
# and defines TensorRT::headers, TRTDIFF_TRT_LIBDIR (the addon opens lib/ first) and
# TRTDIFF_CUDART_TARGET. It checks control flow, lifetimes, names, shapes and coverage — never numbers.
set(_standin_dir ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(_standin_include "${TRTDIFF_TRT_STANDIN}" ABSOLUTE)
if(NOT EXISTS "${_standin_include}/NvInfer.h" OR NOT EXISTS "${_standin_include}/NvOnnxParser.h")
  message(FATAL_ERROR "TRTDIFF_TRT_STANDIN=${TRTDIFF_TRT_STANDIN}: no NvInfer.h and NvOnnxParser.h there")
endif()
file(STRINGS "${_standin_include}/NvInferVersion.h" _v REGEX "#define (NV_TENSORRT|TRT)_(MAJOR|MINOR|PATCH)(_ENTERPRISE)? +[0-9]+")
foreach(_part MAJOR MINOR PATCH)
  string(REGEX MATCH "(NV_TENSORRT_${_part}|TRT_${_part}_ENTERPRISE) +([0-9]+)" _m "${_v}")
  set(_standin_${_part} ${CMAKE_MATCH_2})
endforeach()
set(TRTDIFF_TENSORRT_VERSION "${_standin_MAJOR}.${_standin_MINOR}.${_standin_PATCH}")

find_program(TRTDIFF_NODE NAMES node nodejs REQUIRED)
set(_stubs ${CMAKE_CURRENT_BINARY_DIR}/standin/standin_stubs.h)
add_custom_command(
  OUTPUT ${_stubs}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_CURRENT_BINARY_DIR}/standin
  COMMAND ${TRTDIFF_NODE} ${_standin_dir}/gen-stubs.mjs ${_stubs}
          "${_standin_include}/NvInferImpl.h@nvinfer1::apiv@VRuntime,VCudaEngine,VExecutionContext,VEngineInspector,VHostMemory,VBuilder,VBuilderConfig,VNetworkDefinition,VTensor,VLayer,VOptimizationProfile"
          "${_standin_include}/NvOnnxParser.h@nvonnxparser@IParser,IParserError"
  DEPENDS ${_standin_dir}/gen-stubs.mjs ${_standin_include}/NvInferImpl.h ${_standin_include}/NvOnnxParser.h
  COMMENT "stand-in TensorRT: stubs from ${_standin_include}")
add_custom_target(trtstandin_stubs DEPENDS ${_stubs})

add_library(TensorRT::headers INTERFACE IMPORTED)
# The stand-in cuda_runtime_api.h comes first: TensorRT's headers include it.
set_target_properties(TensorRT::headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${_standin_dir}/cuda;${_standin_include}")

set(_standin_libdir ${CMAKE_CURRENT_BINARY_DIR}/standin/lib)
function(trtstandin_target name)
  target_include_directories(${name} PRIVATE ${_standin_dir} ${CMAKE_CURRENT_BINARY_DIR}/standin)
  target_link_libraries(${name} PUBLIC TensorRT::headers)
  add_dependencies(${name} trtstandin_stubs)
  # The stand-in overrides deprecated methods and leaves stub parameters unused on purpose.
  target_compile_options(${name} PRIVATE -Wall -Wno-deprecated-declarations -Wno-unused-parameter)
  set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${_standin_libdir})
  if(TRTDIFF_SANITIZE)
    target_compile_options(${name} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${name} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

add_library(trtstandin_cudart SHARED ${_standin_dir}/standin_cudart.cpp)
trtstandin_target(trtstandin_cudart)
add_library(trtstandin_nvinfer SHARED ${_standin_dir}/network.cpp ${_standin_dir}/plan.cpp
            ${_standin_dir}/builder.cpp ${_standin_dir}/runtime.cpp)
trtstandin_target(trtstandin_nvinfer)
target_link_libraries(trtstandin_nvinfer PRIVATE trtstandin_cudart)
add_library(trtstandin_nvonnxparser SHARED ${_standin_dir}/parser.cpp ${_standin_dir}/onnx_reader.cpp)
trtstandin_target(trtstandin_nvonnxparser)
target_link_libraries(trtstandin_nvonnxparser PRIVATE trtstandin_nvinfer)
foreach(_lib nvinfer nvonnxparser)
  set_target_properties(trtstandin_${_lib} PROPERTIES OUTPUT_NAME ${_lib}
    VERSION ${TRTDIFF_TENSORRT_VERSION} SOVERSION ${_standin_MAJOR}
    BUILD_RPATH "$ORIGIN;${CMAKE_CURRENT_BINARY_DIR}/standin/lib")
endforeach()

set(TRTDIFF_TRT_LIBDIR ${_standin_libdir})
set(TRTDIFF_CUDART_TARGET trtstandin_cudart)
set(TRTDIFF_HAVE_TENSORRT ON)
message(STATUS "trt-diff: STAND-IN TensorRT ${TRTDIFF_TENSORRT_VERSION} (contract harness, headers ${_standin_include})")
