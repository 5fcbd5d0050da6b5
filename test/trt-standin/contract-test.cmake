# The C++ contract test (test/trt-standin/contract_test.cpp): the real runner sources (trtdiff_trt)
# linked into an executable — so a source left out of native/CMakeLists.txt fails the link — and run
# against the stand-in TensorRT. Built with ASan/UBSan when TRTDIFF_SANITIZE=ON.
add_executable(trt_contract_test ${CMAKE_CURRENT_LIST_DIR}/contract_test.cpp)
target_link_libraries(trt_contract_test PRIVATE trtdiff_trt)
target_compile_options(trt_contract_test PRIVATE -Wall -Wextra -Wno-deprecated-declarations)
add_dependencies(trt_contract_test trtstandin_nvinfer trtstandin_nvonnxparser)  # opened with dlopen
