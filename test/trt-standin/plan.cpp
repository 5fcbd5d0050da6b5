#include "plan.h"

#include <cstring>
#include <stdexcept>

namespace trtstandin {
namespace {

constexpr char kMagic[] = "TRTSTANDINPLAN01";  // 16 bytes

class Writer {
 public:
  void i64(std::int64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) { i64(static_cast<std::int64_t>(s.size())); out += s; }
  void tensor(const PlanTensor& t) {
    str(t.name);
    i64(t.type);
    dims(t.dims);
  }
  void dims(const std::vector<std::int64_t>& d) {
    i64(static_cast<std::int64_t>(d.size()));
    for (std::int64_t x : d) i64(x);
  }
  void tensors(const std::vector<PlanTensor>& ts) {
    i64(static_cast<std::int64_t>(ts.size()));
    for (const PlanTensor& t : ts) tensor(t);
  }
  std::string out;
};

class Reader {
 public:
  Reader(const char* p, std::size_t n) : p_(p), end_(p + n) {}
  std::int64_t i64() {
    if (end_ - p_ < 8) throw std::runtime_error("truncated plan");
    std::int64_t v;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  std::size_t count() {
    const std::int64_t n = i64();
    if (n < 0 || n > end_ - p_) throw std::runtime_error("corrupt plan");
    return static_cast<std::size_t>(n);
  }
  std::string str() {
    const std::size_t n = count();
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  std::vector<std::int64_t> dims() {
    std::vector<std::int64_t> d(count());
    for (auto& x : d) x = i64();
    return d;
  }
  PlanTensor tensor() {
    PlanTensor t;
    t.name = str();
    t.type = static_cast<std::int32_t>(i64());
    t.dims = dims();
    return t;
  }
  std::vector<PlanTensor> tensors() {
    std::vector<PlanTensor> ts(count());
    for (auto& t : ts) t = tensor();
    return ts;
  }
  bool done() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace

std::string serializePlan(const Plan& plan) {
  Writer w;
  w.out.append(kMagic, 16);
  w.i64(plan.version);
  w.i64(plan.detailed);
  w.i64(plan.int8);
  w.tensors(plan.inputs);
  w.tensors(plan.outputs);
  w.tensors(plan.debug);
  w.i64(static_cast<std::int64_t>(plan.profile.size()));
  for (const auto& [name, dims] : plan.profile) {
    w.str(name);
    w.dims(dims);
  }
  w.i64(static_cast<std::int64_t>(plan.layers.size()));
  for (const PlanLayer& l : plan.layers) {
    w.str(l.name);
    w.str(l.layerType);
    w.str(l.metadata);
    w.tensors(l.inputs);
    w.tensors(l.outputs);
  }
  return w.out;
}

bool deserializePlan(const void* data, std::size_t size, Plan* plan, std::string* why) {
  if (data == nullptr || size < 16 || std::memcmp(data, kMagic, 16) != 0) {
    *why = "the blob is not a stand-in TensorRT plan (magic tag mismatch)";
    return false;
  }
  try {
    Reader r(static_cast<const char*>(data) + 16, size - 16);
    plan->version = r.i64();
    plan->detailed = r.i64() != 0;
    plan->int8 = r.i64() != 0;
    plan->inputs = r.tensors();
    plan->outputs = r.tensors();
    plan->debug = r.tensors();
    for (std::size_t n = r.count(); n > 0; --n) {
      std::string name = r.str();
      plan->profile[name] = r.dims();
    }
    plan->layers.resize(r.count());
    for (PlanLayer& l : plan->layers) {
      l.name = r.str();
      l.layerType = r.str();
      l.metadata = r.str();
      l.inputs = r.tensors();
      l.outputs = r.tensors();
    }
    if (!r.done()) throw std::runtime_error("trailing bytes after the plan");
  } catch (const std::exception& e) {
    *why = e.what();
    return false;
  }
  return true;
}

}  // namespace trtstandin
