/// @file test_model.cpp
/// @brief load_model on tiny models of every family that the tests write themselves,
/// on broken configs and tensors, on explicit masks, and on the shipped zoo.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "models/model.h"
#include "tests/models/helpers.h"

using Catch::Matchers::Contains;
using nlohmann::json;
using rramft::models::load_model;
using rramft::models::model;
using rramft::models::save_safetensors;
using rramft::models::tensor;
using rramft::models::weight_layer;
using namespace rramft::test;

namespace {

/// Tensors of a tiny model, filled with small deterministic non-zero values.
struct tensors {
  std::vector<tensor> list;

  void add(const std::string& name, std::vector<int64_t> shape) {
    tensor t{name, "F32", std::move(shape), {}};
    const size_t salt = name.size();
    t.data.resize(static_cast<size_t>(t.numel()));
    for (size_t i = 0; i < t.data.size(); ++i)
      t.data[i] = 0.01f * (static_cast<float>((i * 7 + salt) % 23) - 11.5f);
    list.push_back(std::move(t));
  }
  void linear(const std::string& name, int64_t in, int64_t out) {
    add(name + ".weight", {out, in});
    add(name + ".bias", {out});
  }
  void norm(const std::string& name, int64_t n) {
    add(name + ".weight", {n});
    add(name + ".bias", {n});
  }
  tensor& at(const std::string& name) {
    for (auto& t : list)
      if (t.name == name) return t;
    FAIL("test bug: no tensor " << name);
    return list.front();
  }
  void drop(const std::string& name) {
    const auto before = list.size();
    list.erase(
        std::remove_if(list.begin(), list.end(), [&](const tensor& t) { return t.name == name; }),
        list.end());
    REQUIRE(list.size() + 1 == before);
  }
  void reshape(const std::string& name, std::vector<int64_t> shape) {
    tensor& t = at(name);
    t.shape = std::move(shape);
    t.data.assign(static_cast<size_t>(t.numel()), 0.5f);
  }
};

std::string write_model(const std::string& tag, const json& config, const tensors& ts) {
  const std::string dir = scratch(tag);
  write_bytes(dir + "/config.json", config.dump(2));
  save_safetensors(dir + "/model.safetensors", ts.list);
  return dir;
}

json mlp_config() {
  return {{"model_type", "mlp"}, {"layer_sizes", {12, 8, 6, 3}}, {"activation", "relu"}};
}

tensors mlp_tensors() {
  tensors ts;
  ts.linear("fc1", 12, 8);
  ts.linear("fc2", 8, 6);
  ts.linear("fc3", 6, 3);
  return ts;
}

json lenet_config(int size) {
  return {{"model_type", "lenet5"}, {"in_channels", 1}, {"image_size", size}, {"num_classes", 10}};
}

tensors lenet_tensors(int in, int size, int classes) {
  const int s = ((size - 4) / 2 - 4) / 2;
  tensors ts;
  ts.add("conv1.weight", {6, in, 5, 5});
  ts.add("conv1.bias", {6});
  ts.add("conv2.weight", {16, 6, 5, 5});
  ts.add("conv2.bias", {16});
  ts.linear("fc1", 16 * s * s, 120);
  ts.linear("fc2", 120, 84);
  ts.linear("fc3", 84, classes);
  return ts;
}

json vit_config() {
  return {{"model_type", "vit"},      {"hidden_size", 8},        {"num_hidden_layers", 2},
          {"num_attention_heads", 2}, {"intermediate_size", 16}, {"image_size", 8},
          {"patch_size", 4},          {"num_channels", 3},       {"num_labels", 5}};
}

tensors vit_tensors(const std::string& p = "vit.") {
  const int h = 8, inter = 16, tokens = 2 * 2 + 1;
  tensors ts;
  ts.add(p + "embeddings.cls_token", {1, 1, h});
  ts.add(p + "embeddings.position_embeddings", {1, tokens, h});
  ts.add(p + "embeddings.patch_embeddings.projection.weight", {h, 3, 4, 4});
  ts.add(p + "embeddings.patch_embeddings.projection.bias", {h});
  for (int i = 0; i < 2; ++i) {
    const std::string l = p + "encoder.layer." + std::to_string(i) + ".";
    for (const char* qkv : {"query", "key", "value"})
      ts.linear(l + "attention.attention." + qkv, h, h);
    ts.linear(l + "attention.output.dense", h, h);
    ts.linear(l + "intermediate.dense", h, inter);
    ts.linear(l + "output.dense", inter, h);
    ts.norm(l + "layernorm_before", h);
    ts.norm(l + "layernorm_after", h);
  }
  ts.norm(p + "layernorm", h);
  ts.linear("classifier", h, 5);
  return ts;
}

json bert_config() {
  return {{"model_type", "bert"},          {"hidden_size", 8},        {"num_hidden_layers", 2},
          {"num_attention_heads", 4},      {"intermediate_size", 32}, {"vocab_size", 30},
          {"max_position_embeddings", 16}, {"type_vocab_size", 2}};
}

tensors bert_tensors(const std::string& p, int labels = 2) {
  const int h = 8, inter = 32;
  tensors ts;
  ts.add(p + "embeddings.word_embeddings.weight", {30, h});
  ts.add(p + "embeddings.position_embeddings.weight", {16, h});
  ts.add(p + "embeddings.token_type_embeddings.weight", {2, h});
  ts.norm(p + "embeddings.LayerNorm", h);
  for (int i = 0; i < 2; ++i) {
    const std::string l = p + "encoder.layer." + std::to_string(i) + ".";
    for (const char* qkv : {"query", "key", "value"}) ts.linear(l + "attention.self." + qkv, h, h);
    ts.linear(l + "attention.output.dense", h, h);
    ts.norm(l + "attention.output.LayerNorm", h);
    ts.linear(l + "intermediate.dense", h, inter);
    ts.linear(l + "output.dense", inter, h);
    ts.norm(l + "output.LayerNorm", h);
  }
  ts.linear(p + "pooler.dense", h, h);
  ts.linear("classifier", h, labels);
  return ts;
}

std::vector<std::string> names_of(const model& m) {
  std::vector<std::string> out;
  for (const auto& l : m.layers) out.push_back(l.name);
  return out;
}

void check_layer(const weight_layer& l, tensors& ts, const char* kind, int rows, int cols) {
  INFO("layer " << l.name);
  CHECK(l.kind == kind);
  CHECK(l.rows == rows);
  CHECK(l.cols == cols);
  CHECK(l.w == ts.at(l.name + ".weight").data);
  CHECK(l.shape == ts.at(l.name + ".weight").shape);
  CHECK(l.w.size() == static_cast<size_t>(rows) * cols);
  CHECK(l.row_mask.empty());
  CHECK(l.col_mask.empty());
}

/// load_model's error for a model written from @p config and @p ts.
std::string model_error(const std::string& tag, const json& config, const tensors& ts) {
  const std::string dir = write_model(tag, config, ts);
  return error_of([&] { load_model(dir); });
}

}  // namespace

TEST_CASE("model: an mlp loads its fc layers in order", "[model]") {
  tensors ts = mlp_tensors();
  const std::string dir = write_model("mlp", mlp_config(), ts);
  const model m = load_model(dir);
  CHECK(m.dir == dir);
  CHECK(m.family == "mlp");
  CHECK(m.config["activation"] == "relu");
  CHECK(m.weights.names().size() == 6);
  REQUIRE(names_of(m) == std::vector<std::string>{"fc1", "fc2", "fc3"});
  check_layer(m.layers[0], ts, "linear", 12, 8);
  check_layer(m.layers[1], ts, "linear", 8, 6);
  check_layer(m.layers[2], ts, "linear", 6, 3);
  CHECK(m.layers[2].bias == ts.at("fc3.bias").data);
}

TEST_CASE("model: lenet5 convolutions are seen through im2col", "[model]") {
  for (int size : {28, 32, 16}) {
    INFO("image_size " << size);
    const int s = ((size - 4) / 2 - 4) / 2;
    tensors ts = lenet_tensors(1, size, 10);
    const model m = load_model(write_model("lenet" + std::to_string(size), lenet_config(size), ts));
    CHECK(m.family == "lenet5");
    REQUIRE(names_of(m) == std::vector<std::string>{"conv1", "conv2", "fc1", "fc2", "fc3"});
    check_layer(m.layers[0], ts, "conv2d", 25, 6);
    check_layer(m.layers[1], ts, "conv2d", 150, 16);
    check_layer(m.layers[2], ts, "linear", 16 * s * s, 120);
    check_layer(m.layers[4], ts, "linear", 84, 10);
    CHECK(m.layers[0].shape == std::vector<int64_t>{6, 1, 5, 5});
  }
  CHECK(load_model(write_model("lenet32", lenet_config(32), lenet_tensors(1, 32, 10)))
            .layers[2]
            .rows == 400);
}

TEST_CASE("model: vit loads the patch projection, every encoder linear and the classifier",
          "[model]") {
  tensors ts = vit_tensors();
  const model m = load_model(write_model("vit", vit_config(), ts));
  CHECK(m.family == "vit");
  REQUIRE(m.layers.size() == 1 + 6 * 2 + 1);
  check_layer(m.layers[0], ts, "conv2d", 3 * 4 * 4, 8);
  CHECK(m.layers[0].name == "vit.embeddings.patch_embeddings.projection");
  CHECK(m.layers[1].name == "vit.encoder.layer.0.attention.attention.query");
  check_layer(m.layers[5], ts, "linear", 8, 16);
  CHECK(m.layers[5].name == "vit.encoder.layer.0.intermediate.dense");
  check_layer(m.layers[6], ts, "linear", 16, 8);
  CHECK(m.layers[12].name == "vit.encoder.layer.1.output.dense");
  check_layer(m.layers[13], ts, "linear", 8, 5);
  CHECK(m.layers[13].name == "classifier");
}

TEST_CASE("model: vit without q/k/v biases when qkv_bias is false", "[model]") {
  tensors ts = vit_tensors();
  for (int i = 0; i < 2; ++i)
    for (const char* qkv : {"query", "key", "value"})
      ts.drop("vit.encoder.layer." + std::to_string(i) + ".attention.attention." + qkv + ".bias");
  json cfg = vit_config();
  CHECK_THAT(model_error("vit_nobias", cfg, ts),
             Contains("vit.encoder.layer.0.attention.attention.query.bias"));
  cfg["qkv_bias"] = false;
  const model m = load_model(write_model("vit_nobias2", cfg, ts));
  CHECK(m.layers[1].bias.empty());
  CHECK(m.layers[4].bias.size() == 8);
}

TEST_CASE("model: bert loads with and without the bert. prefix", "[model]") {
  for (const std::string p : {"bert.", ""}) {
    INFO("prefix '" << p << "'");
    tensors ts = bert_tensors(p);
    const model m = load_model(write_model("bert" + p, bert_config(), ts));
    CHECK(m.family == "bert");
    REQUIRE(m.layers.size() == 6 * 2 + 2);
    CHECK(m.layers[0].name == p + "encoder.layer.0.attention.self.query");
    check_layer(m.layers[0], ts, "linear", 8, 8);
    check_layer(m.layers[4], ts, "linear", 8, 32);
    check_layer(m.layers[5], ts, "linear", 32, 8);
    CHECK(m.layers[12].name == p + "pooler.dense");
    CHECK(m.layers[13].name == "classifier");
    check_layer(m.layers[13], ts, "linear", 8, 2);  // num_labels absent: 2
  }
}

TEST_CASE("model: num_labels comes from num_labels, else id2label, else 2", "[model]") {
  json cfg = bert_config();
  cfg["id2label"] = {{"0", "a"}, {"1", "b"}, {"2", "c"}};
  CHECK(load_model(write_model("labels3", cfg, bert_tensors("bert.", 3))).layers.back().cols == 3);
  // Both given and disagreeing: refused in config.json, before any tensor is looked at.
  cfg["num_labels"] = 4;
  CHECK_THAT(model_error("labels_disagree", cfg, bert_tensors("bert.", 4)),
             Contains("config.json: key 'num_labels' is 4 but 'id2label' has 3 labels"));
  cfg.erase("id2label");
  CHECK(load_model(write_model("labels4", cfg, bert_tensors("bert.", 4))).layers.back().cols == 4);
  const std::string msg = model_error("labels_bad", cfg, bert_tensors("bert.", 3));
  CHECK_THAT(msg, Contains("model.safetensors") && Contains("'classifier.weight'") &&
                      Contains("[3,8]") && Contains("[4,8]"));
}

TEST_CASE("model: config errors name the file and the key", "[model]") {
  const tensors ts = mlp_tensors();

  SECTION("missing folder") {
    const std::string dir = scratch("nocfg") + "/absent";
    CHECK_THAT(error_of([&] { load_model(dir); }), Contains(dir + "/config.json"));
  }
  SECTION("invalid JSON") {
    const std::string dir = write_model("badjson", mlp_config(), ts);
    write_bytes(dir + "/config.json", "{\"model_type\": \"mlp\",");
    CHECK_THAT(error_of([&] { load_model(dir); }),
               Contains(dir + "/config.json") && Contains("invalid JSON"));
  }
  SECTION("not an object") {
    CHECK_THAT(model_error("cfgarray", json::array({1, 2}), ts),
               Contains("config.json") && Contains("object"));
  }
  SECTION("missing model_type") {
    json cfg = mlp_config();
    cfg.erase("model_type");
    CHECK_THAT(model_error("notype", cfg, ts), Contains("config.json") && Contains("'model_type'"));
  }
  SECTION("model_type not a string") {
    json cfg = mlp_config();
    cfg["model_type"] = 3;
    CHECK_THAT(model_error("typeint", cfg, ts),
               Contains("config.json") && Contains("'model_type'"));
  }
  SECTION("unknown model_type lists the supported ones") {
    json cfg = mlp_config();
    cfg["model_type"] = "resnet50";
    CHECK_THAT(model_error("resnet", cfg, ts), Contains("config.json") && Contains("resnet50") &&
                                                   Contains("mlp, lenet5, vit, bert, resnet"));
  }
  SECTION("missing layer_sizes") {
    json cfg = mlp_config();
    cfg.erase("layer_sizes");
    CHECK_THAT(model_error("nosizes", cfg, ts),
               Contains("config.json") && Contains("'layer_sizes'"));
  }
  SECTION("layer_sizes too short") {
    json cfg = mlp_config();
    cfg["layer_sizes"] = {12};
    CHECK_THAT(model_error("sizes1", cfg, ts),
               Contains("config.json") && Contains("'layer_sizes'"));
  }
  SECTION("layer_sizes entry zero") {
    json cfg = mlp_config();
    cfg["layer_sizes"] = {12, 0, 3};
    CHECK_THAT(model_error("sizes0", cfg, ts),
               Contains("config.json") && Contains("layer_sizes[1]"));
  }
  SECTION("layer_sizes entry not an integer") {
    json cfg = mlp_config();
    cfg["layer_sizes"] = {12, "8", 3};
    CHECK_THAT(model_error("sizesstr", cfg, ts),
               Contains("config.json") && Contains("layer_sizes[1]"));
  }
  SECTION("unknown activation") {
    json cfg = mlp_config();
    cfg["activation"] = "swish";
    CHECK_THAT(model_error("act", cfg, ts),
               Contains("config.json") && Contains("'activation'") && Contains("swish"));
  }
  SECTION("vit: missing hidden_size") {
    json cfg = vit_config();
    cfg.erase("hidden_size");
    CHECK_THAT(model_error("vit_nohidden", cfg, vit_tensors()),
               Contains("config.json") && Contains("'hidden_size'"));
  }
  SECTION("vit: heads do not divide hidden_size") {
    json cfg = vit_config();
    cfg["num_attention_heads"] = 3;
    CHECK_THAT(model_error("vit_heads", cfg, vit_tensors()), Contains("config.json") &&
                                                                 Contains("num_attention_heads") &&
                                                                 Contains("hidden_size"));
  }
  SECTION("vit: patch_size does not divide image_size") {
    json cfg = vit_config();
    cfg["patch_size"] = 3;
    CHECK_THAT(model_error("vit_patch", cfg, vit_tensors()),
               Contains("config.json") && Contains("patch_size"));
  }
  SECTION("vit: qkv_bias not a boolean") {
    json cfg = vit_config();
    cfg["qkv_bias"] = "yes";
    CHECK_THAT(model_error("vit_qkv", cfg, vit_tensors()),
               Contains("config.json") && Contains("'qkv_bias'"));
  }
  SECTION("bert: heads do not divide hidden_size") {
    json cfg = bert_config();
    cfg["num_attention_heads"] = 3;
    CHECK_THAT(model_error("bert_heads", cfg, bert_tensors("bert.")),
               Contains("config.json") && Contains("num_attention_heads"));
  }
  SECTION("bert: vocab_size wrong type") {
    json cfg = bert_config();
    cfg["vocab_size"] = 30.5;
    CHECK_THAT(model_error("bert_vocab", cfg, bert_tensors("bert.")),
               Contains("config.json") && Contains("'vocab_size'"));
  }
  SECTION("lenet5: image too small for two convolutions") {
    CHECK_THAT(model_error("lenet_small", lenet_config(12), lenet_tensors(1, 16, 10)),
               Contains("config.json") && Contains("'image_size'"));
  }
  SECTION("missing model.safetensors") {
    const std::string dir = write_model("nost", mlp_config(), ts);
    std::filesystem::remove(dir + "/model.safetensors");
    CHECK_THAT(error_of([&] { load_model(dir); }), Contains(dir + "/model.safetensors"));
  }
}

TEST_CASE("model: missing and misshapen tensors are named with expected and actual shape",
          "[model]") {
  SECTION("mlp: missing bias") {
    tensors ts = mlp_tensors();
    ts.drop("fc2.bias");
    CHECK_THAT(model_error("mlp_nobias", mlp_config(), ts),
               Contains("model.safetensors") && Contains("'fc2.bias'"));
  }
  SECTION("mlp: config asks for a layer the file lacks") {
    json cfg = mlp_config();
    cfg["layer_sizes"] = {12, 8, 6, 3, 2};
    CHECK_THAT(model_error("mlp_extra", cfg, mlp_tensors()),
               Contains("'fc4.weight'") && Contains("[2,3]"));
  }
  SECTION("mlp: transposed weight") {
    tensors ts = mlp_tensors();
    ts.reshape("fc1.weight", {12, 8});
    CHECK_THAT(model_error("mlp_T", mlp_config(), ts),
               Contains("model.safetensors") && Contains("'fc1.weight'") && Contains("[12,8]") &&
                   Contains("[8,12]"));
  }
  SECTION("lenet5: fc1 does not match image_size") {
    CHECK_THAT(model_error("lenet_fc1", lenet_config(32), lenet_tensors(1, 28, 10)),
               Contains("'fc1.weight'") && Contains("[120,400]") && Contains("[120,256]"));
  }
  SECTION("lenet5: conv1 in_channels mismatch") {
    CHECK_THAT(model_error("lenet_in", lenet_config(28), lenet_tensors(3, 28, 10)),
               Contains("'conv1.weight'") && Contains("[6,1,5,5]") && Contains("[6,3,5,5]"));
  }
  SECTION("vit: missing layer tensor") {
    tensors ts = vit_tensors();
    ts.drop("vit.encoder.layer.1.layernorm_after.bias");
    CHECK_THAT(model_error("vit_miss", vit_config(), ts),
               Contains("'vit.encoder.layer.1.layernorm_after.bias'"));
  }
  SECTION("vit: position embeddings of the wrong length") {
    tensors ts = vit_tensors();
    ts.reshape("vit.embeddings.position_embeddings", {1, 4, 8});
    CHECK_THAT(model_error("vit_pos", vit_config(), ts),
               Contains("'vit.embeddings.position_embeddings'") && Contains("[1,5,8]"));
  }
  SECTION("vit: missing classifier") {
    tensors ts = vit_tensors();
    ts.drop("classifier.weight");
    CHECK_THAT(model_error("vit_cls", vit_config(), ts), Contains("'classifier.weight'"));
  }
  SECTION("vit: num_hidden_layers beyond the file") {
    json cfg = vit_config();
    cfg["num_hidden_layers"] = 3;
    CHECK_THAT(model_error("vit_layers", cfg, vit_tensors()), Contains("'vit.encoder.layer.2."));
  }
  SECTION("bert: intermediate of the wrong width") {
    json cfg = bert_config();
    cfg["intermediate_size"] = 16;
    CHECK_THAT(model_error("bert_inter", cfg, bert_tensors("bert.")),
               Contains("'bert.encoder.layer.0.intermediate.dense.weight'") && Contains("[16,8]") &&
                   Contains("[32,8]"));
  }
  SECTION("bert: no embeddings at all") {
    tensors ts = bert_tensors("bert.");
    ts.drop("bert.embeddings.word_embeddings.weight");
    CHECK_THAT(model_error("bert_emb", bert_config(), ts),
               Contains("'bert.embeddings.word_embeddings.weight'"));
  }
  SECTION("bert: missing pooler") {
    tensors ts = bert_tensors("");
    ts.drop("pooler.dense.weight");
    CHECK_THAT(model_error("bert_pool", bert_config(), ts), Contains("'pooler.dense.weight'"));
  }
  SECTION("bert: missing attention LayerNorm") {
    tensors ts = bert_tensors("bert.");
    ts.drop("bert.encoder.layer.1.attention.output.LayerNorm.weight");
    CHECK_THAT(model_error("bert_ln", bert_config(), ts),
               Contains("'bert.encoder.layer.1.attention.output.LayerNorm.weight'"));
  }
}

TEST_CASE("model: NaN in a weight is refused naming the tensor", "[model]") {
  tensors ts = mlp_tensors();
  ts.at("fc2.weight").data[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THAT(model_error("mlp_nan", mlp_config(), ts), Contains("model.safetensors") &&
                                                           Contains("'fc2.weight'") &&
                                                           Contains("NaN") && Contains("index 5"));
}

TEST_CASE("model: explicit in/out masks fill row_mask and col_mask and must agree with the weights",
          "[model]") {
  tensors ts = mlp_tensors();
  // Prune fc1 input 3 and fc1 output 5 (a whole row of the PyTorch weight, and its bias).
  tensor& w = ts.at("fc1.weight");
  for (int o = 0; o < 8; ++o) w.data[o * 12 + 3] = 0;
  for (int i = 0; i < 12; ++i) w.data[5 * 12 + i] = 0;
  ts.at("fc1.bias").data[5] = 0;
  std::vector<float> in_mask(12, 1.0f), out_mask(8, 1.0f);
  in_mask[3] = 0;
  out_mask[5] = 0;
  ts.list.push_back({"fc1.in_mask", "F32", {12}, in_mask});
  ts.list.push_back({"fc1.out_mask", "F32", {8}, out_mask});

  SECTION("consistent masks load") {
    const model m = load_model(write_model("mask_ok", mlp_config(), ts));
    const auto& l = m.layers[0];
    REQUIRE(l.row_mask.size() == 12);
    REQUIRE(l.col_mask.size() == 8);
    for (int r = 0; r < 12; ++r) CHECK(l.row_mask[r] == (r == 3 ? 0 : 1));
    for (int c = 0; c < 8; ++c) CHECK(l.col_mask[c] == (c == 5 ? 0 : 1));
    CHECK(m.layers[1].row_mask.empty());
  }
  SECTION("a mask over a non-zero input row lies") {
    ts.at("fc1.weight").data[2 * 12 + 3] = 0.25f;
    CHECK_THAT(model_error("mask_lie_in", mlp_config(), ts),
               Contains("model.safetensors") && Contains("'fc1'") && Contains("input row 3"));
  }
  SECTION("a mask over a non-zero output column lies") {
    ts.at("fc1.weight").data[5 * 12 + 11] = -0.5f;
    CHECK_THAT(model_error("mask_lie_out", mlp_config(), ts),
               Contains("'fc1'") && Contains("output column 5"));
  }
  SECTION("mask values other than 0 and 1") {
    ts.at("fc1.in_mask").data[7] = 0.5f;
    CHECK_THAT(model_error("mask_half", mlp_config(), ts),
               Contains("'fc1.in_mask'") && Contains("index 7"));
  }
  SECTION("mask of the wrong length") {
    ts.reshape("fc1.out_mask", {9});
    CHECK_THAT(model_error("mask_len", mlp_config(), ts),
               Contains("'fc1.out_mask'") && Contains("[8]"));
  }
  SECTION("mask for a layer the model does not have") {
    ts.list.push_back({"fc7.in_mask", "F32", {2}, {1, 1}});
    CHECK_THAT(model_error("mask_stray", mlp_config(), ts), Contains("'fc7.in_mask'"));
  }
}

TEST_CASE("model: the shipped zoo loads and mlp-pruned is structurally pruned", "[model][zoo]") {
  const std::string zoo = std::string(RRAMFT_SOURCE_DIR) + "/models/zoo";
  const model dense = load_model(zoo + "/mlp-dense");
  const model pruned = load_model(zoo + "/mlp-pruned");
  for (const model* m : {&dense, &pruned}) {
    REQUIRE(names_of(*m) == std::vector<std::string>{"fc1", "fc2", "fc3"});
    CHECK(m->layers[0].rows == 784);
    CHECK(m->layers[0].cols == 256);
    CHECK(m->layers[1].cols == 128);
    CHECK(m->layers[2].cols == 10);
  }
  auto zero_outputs = [](const weight_layer& l) {
    std::vector<int> out;
    for (int c = 0; c < l.cols; ++c) {
      bool zero = l.bias[c] == 0.0f;
      for (int r = 0; r < l.rows; ++r)
        zero = zero && l.w[static_cast<size_t>(c) * l.rows + r] == 0.0f;
      if (zero) out.push_back(c);
    }
    return out;
  };
  auto zero_inputs = [](const weight_layer& l) {
    std::vector<int> out;
    for (int r = 0; r < l.rows; ++r) {
      bool zero = true;
      for (int c = 0; c < l.cols; ++c)
        zero = zero && l.w[static_cast<size_t>(c) * l.rows + r] == 0.0f;
      if (zero) out.push_back(r);
    }
    return out;
  };
  for (const auto& l : dense.layers) {
    CHECK(zero_outputs(l).empty());
    CHECK(zero_inputs(l).empty());
  }
  const auto& p = pruned.layers;
  const auto out1 = zero_outputs(p[0]), out2 = zero_outputs(p[1]);
  CHECK(out1.size() == 102);  // 40% of 256
  CHECK(out2.size() == 51);   // 40% of 128
  CHECK(zero_outputs(p[2]).empty());
  CHECK(zero_inputs(p[1]) == out1);
  CHECK(zero_inputs(p[2]) == out2);
  const auto pixels = zero_inputs(p[0]);
  CHECK(pixels.size() == 78);  // 10% of 784
  for (int px : pixels) {
    const int y = px / 28, x = px % 28;
    CHECK((y == 0 || y == 27 || x == 0 || x == 27));
  }
  // Away from the pruned structure the two networks hold the same weights.
  const auto& d = dense.layers[2];
  for (int c = 0; c < d.cols; ++c)
    for (int r = 0; r < d.rows; ++r)
      if (!std::binary_search(out2.begin(), out2.end(), r))
        CHECK(p[2].w[static_cast<size_t>(c) * d.rows + r] ==
              d.w[static_cast<size_t>(c) * d.rows + r]);
  CHECK(p[2].bias == d.bias);
}
