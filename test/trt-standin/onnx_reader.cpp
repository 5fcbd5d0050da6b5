#include "onnx_reader.h"

#include <stdexcept>

namespace trtstandin {
namespace {

// One protobuf message: a byte range read field by field.
class Reader {
 public:
  Reader(const char* p, const char* end) : p_(p), end_(end) {}
  bool done() const { return p_ >= end_; }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) throw std::runtime_error("truncated varint");
      const auto b = static_cast<unsigned char>(*p_++);
      v |= std::uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw std::runtime_error("varint too long");
  }
  // Next field: number and wire type.
  void key(int* field, int* wire) {
    const std::uint64_t k = varint();
    *field = static_cast<int>(k >> 3);
    *wire = static_cast<int>(k & 7);
  }
  Reader sub() {
    const std::uint64_t n = varint();
    if (n > std::uint64_t(end_ - p_)) throw std::runtime_error("truncated field");
    Reader r(p_, p_ + n);
    p_ += n;
    return r;
  }
  std::string str() {
    Reader r = sub();
    return std::string(r.p_, r.end_);
  }
  void skip(int wire) {
    switch (wire) {
      case 0: varint(); return;
      case 1: advance(8); return;
      case 2: sub(); return;
      case 5: advance(4); return;
      default: throw std::runtime_error("unsupported wire type " + std::to_string(wire));
    }
  }
  // A repeated int64 field, packed (wire 2) or not (wire 0).
  void int64s(int wire, std::vector<std::int64_t>* out) {
    if (wire == 0) { out->push_back(static_cast<std::int64_t>(varint())); return; }
    Reader r = sub();
    while (!r.done()) out->push_back(static_cast<std::int64_t>(r.varint()));
  }

 private:
  void advance(std::size_t n) {
    if (n > std::size_t(end_ - p_)) throw std::runtime_error("truncated field");
    p_ += n;
  }
  const char* p_;
  const char* end_;
};

OnnxValue readTensorProto(Reader r) {  // initializers and Constant values: name, type, dims
  OnnxValue v;
  v.hasShape = true;
  int f, w;
  while (!r.done()) {
    r.key(&f, &w);
    if (f == 1) r.int64s(w, &v.dims);
    else if (f == 2 && w == 0) v.elemType = static_cast<int>(r.varint());
    else if (f == 8 && w == 2) v.name = r.str();
    else r.skip(w);
  }
  return v;
}

void readShape(Reader r, OnnxValue* v) {
  v->hasShape = true;
  int f, w;
  while (!r.done()) {
    r.key(&f, &w);
    if (f != 1 || w != 2) { r.skip(w); continue; }
    Reader dim = r.sub();
    std::int64_t value = -1;
    int df, dw;
    while (!dim.done()) {
      dim.key(&df, &dw);
      if (df == 1 && dw == 0) value = static_cast<std::int64_t>(dim.varint());
      else dim.skip(dw);
    }
    v->dims.push_back(value);
  }
}

OnnxValue readValueInfo(Reader r) {
  OnnxValue v;
  int f, w;
  while (!r.done()) {
    r.key(&f, &w);
    if (f == 1 && w == 2) { v.name = r.str(); continue; }
    if (f != 2 || w != 2) { r.skip(w); continue; }
    Reader type = r.sub();
    int tf, tw;
    while (!type.done()) {
      type.key(&tf, &tw);
      if (tf != 1 || tw != 2) { type.skip(tw); continue; }  // tensor_type only
      Reader tensor = type.sub();
      int xf, xw;
      while (!tensor.done()) {
        tensor.key(&xf, &xw);
        if (xf == 1 && xw == 0) v.elemType = static_cast<int>(tensor.varint());
        else if (xf == 2 && xw == 2) readShape(tensor.sub(), &v);
        else tensor.skip(xw);
      }
    }
  }
  return v;
}

void readAttribute(Reader r, OnnxNode* node) {
  std::string name;
  std::int64_t i = 0;
  bool hasInt = false;
  OnnxValue tensor;
  bool hasTensor = false;
  int f, w;
  while (!r.done()) {
    r.key(&f, &w);
    if (f == 1 && w == 2) name = r.str();
    else if (f == 3 && w == 0) { i = static_cast<std::int64_t>(r.varint()); hasInt = true; }
    else if (f == 5 && w == 2) { tensor = readTensorProto(r.sub()); hasTensor = true; }
    else r.skip(w);
  }
  if (hasInt) node->ints[name] = i;
  if (hasTensor && name == "value") node->constant = tensor;
}

OnnxNode readNode(Reader r) {
  OnnxNode n;
  int f, w;
  while (!r.done()) {
    r.key(&f, &w);
    if (w != 2) { r.skip(w); continue; }
    switch (f) {
      case 1: n.inputs.push_back(r.str()); break;
      case 2: n.outputs.push_back(r.str()); break;
      case 3: n.name = r.str(); break;
      case 4: n.opType = r.str(); break;
      case 5: readAttribute(r.sub(), &n); break;
      case 7: n.domain = r.str(); break;
      default: r.skip(w);
    }
  }
  return n;
}

OnnxGraph readGraph(Reader r) {
  OnnxGraph g;
  int f, w;
  while (!r.done()) {
    r.key(&f, &w);
    if (w != 2) { r.skip(w); continue; }
    switch (f) {
      case 1: g.nodes.push_back(readNode(r.sub())); break;
      case 5: g.initializers.push_back(readTensorProto(r.sub())); break;
      case 11: g.inputs.push_back(readValueInfo(r.sub())); break;
      case 12: g.outputs.push_back(readValueInfo(r.sub())); break;
      case 13: g.valueInfo.push_back(readValueInfo(r.sub())); break;
      default: r.skip(w);
    }
  }
  return g;
}

}  // namespace

OnnxGraph readOnnx(const std::string& bytes) {
  Reader model(bytes.data(), bytes.data() + bytes.size());
  int f, w;
  bool found = false;
  OnnxGraph g;
  while (!model.done()) {
    model.key(&f, &w);
    if (f == 7 && w == 2) { g = readGraph(model.sub()); found = true; }
    else model.skip(w);
  }
  if (!found) throw std::runtime_error("no graph in the model");
  return g;
}

}  // namespace trtstandin
