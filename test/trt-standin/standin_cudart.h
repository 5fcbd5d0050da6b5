// The stand-in CUDA runtime's view for the stand-in libnvinfer: is `p` (of `bytes`) inside one live
// cudaMalloc allocation? Device memory is host memory here, so only bookkeeping tells them apart.
#pragma once

#include <cstddef>

extern "C" bool trtstandin_isDevicePointer(const void* p, std::size_t bytes);
// Runs the operations queued on `stream` (the stand-in executes a stream's work at synchronisation).
extern "C" void trtstandin_flushStream(void* stream);
// True while a queued, not yet executed copy reads from [p, p + bytes).
extern "C" bool trtstandin_pendingReads(const void* p, std::size_t bytes);
