/// @file test_safetensors.cpp
/// @brief The safetensors reader against hand-built byte images, good and bad.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "models/model.h"
#include "tests/models/helpers.h"

using Catch::Matchers::Contains;
using rramft::models::safetensors;
using rramft::models::save_safetensors;
using rramft::models::tensor;
using namespace rramft::test;

TEST_CASE("safetensors: save then load keeps names, shapes, values and metadata", "[safetensors]") {
  const std::string dir = scratch("roundtrip");
  const std::string path = dir + "/rt.safetensors";
  std::vector<tensor> in = {
      {"z.last", "F32", {2, 3}, {1.5f, -2.25f, 0.0f, 3e-8f, -1e30f, 7.0f}},
      {"a.first", "F32", {4}, {0.1f, 0.2f, -0.3f, 1e-40f}},  // 1e-40: a float subnormal survives
      {"m.scalar", "F32", {}, {42.0f}},
      {"m.empty", "F32", {0, 5}, {}},
  };
  save_safetensors(path, in, {{"format", "pt"}, {"who", "test"}});
  const safetensors st = safetensors::load(path);
  CHECK(st.origin() == path);
  CHECK(st.names() == std::vector<std::string>{"a.first", "m.empty", "m.scalar", "z.last"});
  CHECK(st.metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"who", "test"}});
  for (const tensor& t : in) {
    REQUIRE(st.has(t.name));
    const tensor& got = st.get(t.name);
    CHECK(got.dtype == "F32");
    CHECK(got.shape == t.shape);
    CHECK(got.numel() == t.numel());
    CHECK(got.data == t.data);  // bit-exact: F32 in, F32 out
  }
  CHECK(st.get("m.scalar").numel() == 1);
  CHECK(st.get("m.empty").numel() == 0);
}

TEST_CASE("safetensors: writer pads the header to 8 bytes and lays tensors out sorted",
          "[safetensors]") {
  const std::string dir = scratch("layout");
  const std::string path = dir + "/layout.safetensors";
  save_safetensors(path, {{"b", "F32", {1}, {2.0f}}, {"a", "F32", {3}, {1.0f, 1.0f, 1.0f}}});
  const std::string bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK(n % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + 16);
  const std::string header = bytes.substr(8, n);
  CHECK(header.find_last_not_of(' ') + 1 <= header.size());
  const auto j = nlohmann::json::parse(header);
  CHECK(j["a"]["data_offsets"] == nlohmann::json::array({0, 12}));
  CHECK(j["b"]["data_offsets"] == nlohmann::json::array({12, 16}));
  CHECK(header.find("\"a\"") < header.find("\"b\""));
  CHECK(bytes.substr(8 + n + 12, 4) == f32(2.0f));
}

TEST_CASE("safetensors: a hand-built image is decoded value by value", "[safetensors]") {
  // Offsets deliberately out of name order and with a gap: only overlap is an error.
  const std::string header = R"({"__metadata__":{"format":"pt"},
    "w":   {"dtype":"F32",  "shape":[2,2], "data_offsets":[0,16]},
    "i8":  {"dtype":"I8",   "shape":[3],   "data_offsets":[60,63]},
    "u8":  {"dtype":"U8",   "shape":[2],   "data_offsets":[63,65]},
    "ok":  {"dtype":"BOOL", "shape":[2],   "data_offsets":[65,67]},
    "i16": {"dtype":"I16",  "shape":[2],   "data_offsets":[16,20]},
    "i32": {"dtype":"I32",  "shape":[1],   "data_offsets":[20,24]},
    "i64": {"dtype":"I64",  "shape":[1],   "data_offsets":[24,32]},
    "d":   {"dtype":"F64",  "shape":[1,1], "data_offsets":[32,40]},
    "h":   {"dtype":"F16",  "shape":[2],   "data_offsets":[44,48]}})";
  std::string buf = f32(1.0f) + f32(-2.5f) + f32(0.125f) + f32(1e-3f);  // 0..16
  buf += le(static_cast<uint16_t>(-300), 2) + le(7, 2);                 // 16..20
  buf += le(static_cast<uint32_t>(-123456), 4);                         // 20..24
  buf += le(static_cast<uint64_t>(-5000000000LL), 8);                   // 24..32
  buf += f64(-0.1);                                                     // 32..40
  buf += std::string(4, '\xee');                                        // 40..44 gap
  buf += le(0x3c00, 2) + le(0xc000, 2);                                 // 44..48
  buf += std::string(12, '\0');                                         // 48..60 gap
  buf += le(0xff, 1) + le(0x80, 1) + le(0x05, 1);                       // 60..63
  buf += le(0, 1) + le(255, 1);                                         // 63..65
  buf += le(1, 1) + le(0, 1);                                           // 65..67
  const safetensors st = safetensors::parse(image(header, buf), "mem");

  CHECK(st.metadata().at("format") == "pt");
  CHECK(st.get("w").shape == std::vector<int64_t>{2, 2});
  CHECK(st.get("w").data == std::vector<float>{1.0f, -2.5f, 0.125f, 1e-3f});
  CHECK(st.get("i16").data == std::vector<float>{-300.0f, 7.0f});
  CHECK(st.get("i32").data == std::vector<float>{-123456.0f});
  CHECK(st.get("i64").data == std::vector<float>{-5e9f});
  CHECK(st.get("d").data == std::vector<float>{static_cast<float>(-0.1)});
  CHECK(st.get("d").dtype == "F64");
  CHECK(st.get("h").data == std::vector<float>{1.0f, -2.0f});
  CHECK(st.get("i8").data == std::vector<float>{-1.0f, -128.0f, 5.0f});
  CHECK(st.get("u8").data == std::vector<float>{0.0f, 255.0f});
  CHECK(st.get("ok").data == std::vector<float>{1.0f, 0.0f});
  CHECK(st.get("ok").dtype == "BOOL");
}

TEST_CASE("safetensors: F16 and BF16 bit patterns convert exactly", "[safetensors]") {
  struct pat {
    uint16_t bits;
    float value;
  };
  const std::vector<pat> f16 = {
      {0x0000, 0.0f},
      {0x3c00, 1.0f},
      {0xc000, -2.0f},
      {0x3555, 0.333251953125f},          // nearest half to 1/3
      {0x7bff, 65504.0f},                 // largest half
      {0x0400, 6.103515625e-05f},         // smallest normal, 2^-14
      {0x0001, 5.9604644775390625e-08f},  // smallest subnormal, 2^-24
      {0x83ff, -6.097555160522461e-05f},  // largest negative subnormal
      {0x3800, 0.5f},
      {0x4248, 3.140625f},
  };
  const std::vector<pat> bf16 = {
      {0x0000, 0.0f},
      {0x3f80, 1.0f},
      {0xc049, -3.140625f},
      {0x7f7f, 3.3895313892515355e+38f},  // largest bfloat16
      {0x0001, 9.183549615799121e-41f},   // smallest subnormal, 2^-133
      {0x3e80, 0.25f},
  };
  std::string hbuf, bbuf;
  for (const auto& p : f16) hbuf += le(p.bits, 2);
  for (const auto& p : bf16) bbuf += le(p.bits, 2);
  const std::string header = R"({"h":{"dtype":"F16","shape":[)" + std::to_string(f16.size()) +
                             R"(],"data_offsets":[0,)" + std::to_string(hbuf.size()) +
                             R"(]},"b":{"dtype":"BF16","shape":[)" + std::to_string(bf16.size()) +
                             R"(],"data_offsets":[)" + std::to_string(hbuf.size()) + "," +
                             std::to_string(hbuf.size() + bbuf.size()) + "]}}";
  const safetensors st = safetensors::parse(image(header, hbuf + bbuf), "mem");
  for (size_t i = 0; i < f16.size(); ++i) {
    INFO("F16 0x" << std::hex << f16[i].bits);
    CHECK(st.get("h").data[i] == f16[i].value);
  }
  for (size_t i = 0; i < bf16.size(); ++i) {
    INFO("BF16 0x" << std::hex << bf16[i].bits);
    CHECK(st.get("b").data[i] == bf16[i].value);
  }
  // Negative zero keeps its sign.
  const safetensors nz = safetensors::parse(
      image(R"({"z":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}})", le(0x8000, 2)), "mem");
  CHECK(std::signbit(nz.get("z").data[0]));
}

namespace {

/// Writes @p bytes to DIR/NAME.safetensors and returns the load() error message.
std::string load_error(const std::string& dir, const std::string& name, const std::string& bytes) {
  const std::string path = dir + "/" + name + ".safetensors";
  write_bytes(path, bytes);
  const std::string msg = error_of([&] { safetensors::load(path); });
  CHECK_THAT(msg, Catch::StartsWith(path));
  return msg;
}

std::string one(const std::string& entry, const std::string& buf) {
  return image(R"({"t":)" + entry + "}", buf);
}

}  // namespace

TEST_CASE("safetensors: malformed files are refused naming the file and the tensor",
          "[safetensors]") {
  const std::string dir = scratch("bad");
  const std::string ok4 = f32(1.0f);

  SECTION("missing file") {
    const std::string msg = error_of([&] { safetensors::load(dir + "/nope.safetensors"); });
    CHECK_THAT(msg, Contains(dir + "/nope.safetensors"));
  }
  SECTION("shorter than 8 bytes") {
    CHECK_THAT(load_error(dir, "short", "abc"), Contains("shorter than"));
  }
  SECTION("empty file") { CHECK_THAT(load_error(dir, "empty", ""), Contains("0 bytes")); }
  SECTION("header length past end of file") {
    CHECK_THAT(load_error(dir, "pastend", le(100, 8) + "{}"), Contains("past the end"));
  }
  SECTION("absurd header length") {
    CHECK_THAT(load_error(dir, "absurd", le(~0ull, 8) + "{}"), Contains("absurdly large"));
  }
  SECTION("header not JSON") {
    CHECK_THAT(load_error(dir, "notjson", image("{\"t\": [1,", "")),
               Contains("header: invalid JSON"));
  }
  SECTION("header not an object") {
    CHECK_THAT(load_error(dir, "array", image("[1,2]", "")), Contains("object"));
  }
  SECTION("entry not an object") {
    CHECK_THAT(load_error(dir, "entry", image(R"({"t":3})", "")), Contains("'t'"));
  }
  SECTION("missing dtype") {
    const auto msg = load_error(dir, "nodtype", one(R"({"shape":[1],"data_offsets":[0,4]})", ok4));
    CHECK_THAT(msg, Contains("'t'") && Contains("dtype"));
  }
  SECTION("missing shape") {
    const auto msg =
        load_error(dir, "noshape", one(R"({"dtype":"F32","data_offsets":[0,4]})", ok4));
    CHECK_THAT(msg, Contains("'t'") && Contains("shape"));
  }
  SECTION("missing data_offsets") {
    const auto msg = load_error(dir, "nooffsets", one(R"({"dtype":"F32","shape":[1]})", ok4));
    CHECK_THAT(msg, Contains("'t'") && Contains("data_offsets"));
  }
  SECTION("dtype not a string") {
    CHECK_THAT(
        load_error(dir, "dtypeint", one(R"({"dtype":4,"shape":[1],"data_offsets":[0,4]})", ok4)),
        Contains("'t'") && Contains("dtype"));
  }
  SECTION("shape not an array") {
    CHECK_THAT(load_error(dir, "shapestr",
                          one(R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})", ok4)),
               Contains("'t'") && Contains("shape"));
  }
  SECTION("shape entry not an integer") {
    CHECK_THAT(load_error(dir, "shapefloat",
                          one(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})", ok4)),
               Contains("'t'") && Contains("shape[0]"));
  }
  SECTION("data_offsets of the wrong length") {
    CHECK_THAT(
        load_error(dir, "offs3", one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})", ok4)),
        Contains("'t'") && Contains("data_offsets"));
  }
  SECTION("negative data offset") {
    CHECK_THAT(load_error(dir, "offsneg",
                          one(R"({"dtype":"F32","shape":[1],"data_offsets":[-4,4]})", ok4)),
               Contains("'t'") && Contains("negative"));
  }
  SECTION("unknown dtype") {
    const auto msg = load_error(
        dir, "dtype", one(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})", "x"));
    CHECK_THAT(msg, Contains("'t'") && Contains("F8_E4M3") && Contains("BF16"));
  }
  SECTION("negative dimension") {
    CHECK_THAT(load_error(dir, "negdim",
                          one(R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]})", ok4)),
               Contains("'t'") && Contains("negative"));
  }
  SECTION("shape product overflows") {
    const auto msg = load_error(
        dir, "overflow",
        one(R"({"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]})", ok4));
    CHECK_THAT(msg, Contains("'t'") && Contains("overflow"));
  }
  SECTION("numel times dtype size overflows") {
    const auto msg = load_error(
        dir, "overflow2",
        one(R"({"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]})", ok4));
    CHECK_THAT(msg, Contains("'t'") && Contains("overflow"));
  }
  SECTION("end before begin") {
    CHECK_THAT(load_error(dir, "backwards",
                          one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,0]})", ok4 + ok4)),
               Contains("'t'") && Contains("< begin"));
  }
  SECTION("end past the buffer") {
    CHECK_THAT(
        load_error(dir, "pastbuf", one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", ok4)),
        Contains("'t'") && Contains("past the end of the data buffer"));
  }
  SECTION("byte size does not match shape and dtype") {
    const auto msg = load_error(
        dir, "size", one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", ok4 + ok4));
    CHECK_THAT(msg, Contains("'t'") && Contains("needs 12"));
  }
  SECTION("overlapping tensors") {
    const auto msg = load_error(dir, "overlap",
                                image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
                                          "b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                      ok4 + ok4 + ok4));
    CHECK_THAT(msg, Contains("'a'") && Contains("'b'") && Contains("overlap"));
  }
  SECTION("metadata value not a string") {
    const auto msg = load_error(dir, "meta", image(R"({"__metadata__":{"k":1}})", ""));
    CHECK_THAT(msg, Contains("__metadata__") && Contains("'k'"));
  }
  SECTION("BOOL byte other than 0 or 1") {
    CHECK_THAT(load_error(dir, "bool",
                          one(R"({"dtype":"BOOL","shape":[2],"data_offsets":[0,2]})",
                              le(1, 1) + le(2, 1))),
               Contains("'t'") && Contains("index 1"));
  }
  SECTION("control characters in a name stay on one line") {
    const auto msg = load_error(
        dir, "ctrl", image(R"({"bad\nname":{"dtype":"X","shape":[],"data_offsets":[0,0]}})", ""));
    CHECK_THAT(msg, Contains("bad\\x0aname"));
  }
}

TEST_CASE("safetensors: NaN, Inf and out-of-range F64 are refused with tensor and index",
          "[safetensors]") {
  const std::string dir = scratch("nan");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();

  SECTION("F32 NaN") {
    const auto msg = load_error(dir, "f32nan",
                                one(R"({"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})",
                                    f32(0) + f32(1) + f32(nan) + f32(2)));
    CHECK_THAT(msg, Contains("'t'") && Contains("NaN") && Contains("index 2"));
  }
  SECTION("F32 -Inf") {
    const auto msg =
        load_error(dir, "f32inf",
                   one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", f32(-inf) + f32(1)));
    CHECK_THAT(msg, Contains("'t'") && Contains("Inf") && Contains("index 0"));
  }
  SECTION("F16 Inf") {
    const auto msg = load_error(dir, "f16inf",
                                one(R"({"dtype":"F16","shape":[3],"data_offsets":[0,6]})",
                                    le(0x3c00, 2) + le(0x3c00, 2) + le(0x7c00, 2)));
    CHECK_THAT(msg, Contains("'t'") && Contains("Inf") && Contains("index 2"));
  }
  SECTION("BF16 NaN") {
    const auto msg = load_error(
        dir, "bf16nan",
        one(R"({"dtype":"BF16","shape":[2],"data_offsets":[0,4]})", le(0x7fc1, 2) + le(0, 2)));
    CHECK_THAT(msg, Contains("'t'") && Contains("NaN") && Contains("index 0"));
  }
  SECTION("F64 NaN") {
    const auto msg = load_error(
        dir, "f64nan",
        one(R"({"dtype":"F64","shape":[2],"data_offsets":[0,16]})", f64(1.0) + f64(std::nan(""))));
    CHECK_THAT(msg, Contains("'t'") && Contains("NaN") && Contains("index 1"));
  }
  SECTION("F64 beyond float range") {
    const auto msg = load_error(
        dir, "f64big",
        one(R"({"dtype":"F64","shape":[2],"data_offsets":[0,16]})", f64(1.0) + f64(-1e39)));
    CHECK_THAT(msg, Contains("'t'") && Contains("out of float range") && Contains("index 1"));
  }
}

TEST_CASE("safetensors: get of an absent tensor names file and tensor", "[safetensors]") {
  const safetensors st = safetensors::parse(
      one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})", f32(1)), "x.st");
  CHECK_FALSE(st.has("u"));
  const std::string msg = error_of([&] { st.get("u"); });
  CHECK_THAT(msg, Catch::StartsWith("x.st") && Contains("'u'"));
}

TEST_CASE("safetensors: the writer refuses inconsistent tensors", "[safetensors]") {
  const std::string dir = scratch("writer");
  const std::string path = dir + "/w.safetensors";
  CHECK_THAT(error_of([&] {
               save_safetensors(path, {{"t", "F32", {2, 2}, {1, 2, 3}}});
             }),
             Contains(path) && Contains("'t'"));
  CHECK_THAT(error_of([&] {
               save_safetensors(path, {{"t", "F32", {1}, {1}}, {"t", "F32", {1}, {2}}});
             }),
             Contains("duplicate") && Contains("'t'"));
}
