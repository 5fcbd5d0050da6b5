#include "trt_engine_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace trtdiff {

bool splitUltralyticsHeader(const std::vector<char>& bytes, std::size_t* planOffset, std::string* metadata) {
  if (bytes.size() < 6) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::uint32_t len =
      std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
  // A plan never starts with a small length followed by '{' ... '}': require the JSON's braces so
  // that a plain plan is never mistaken for a header.
  if (len < 2 || std::size_t(len) + 4 >= bytes.size()) return false;
  if (bytes[4] != '{' || bytes[4 + len - 1] != '}') return false;
  *metadata = std::string(bytes.data() + 4, len);
  *planOffset = 4 + std::size_t(len);
  return true;
}

EngineFile readEngineFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open: " + std::string(std::strerror(errno)));
  EngineFile f;
  const std::streamsize size = in.tellg();
  if (size <= 0) throw std::runtime_error("empty engine file");
  f.bytes.resize(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(f.bytes.data(), size)) throw std::runtime_error("read failed");
  splitUltralyticsHeader(f.bytes, &f.planOffset, &f.metadata);
  return f;
}

}  // namespace trtdiff
