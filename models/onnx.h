#pragma once
/// @file onnx.h
/// @brief The ONNX front end: reads a .onnx file with Debian's ONNX library (protobuf), checks
/// every operator against the interpreter's list before any work, folds constant subgraphs and
/// batch norms, and turns every Conv / Gemm / MatMul with a constant weight into a crossbar
/// layer (models/graph.h).
#include <string>

#include "models/model.h"

namespace rramft::models {

/// @brief True when @p path names an ONNX file (ends in .onnx) rather than a model folder.
bool is_onnx_path(const std::string& path);

/// @brief Loads @p path as a model of family "onnx": its graph and its crossbar layers.
/// Throws rramft::error naming the file and the node / tensor on malformed protobuf, missing
/// external data, unsupported operators (with op type and opset), non-finite weights, and
/// shapes that do not fit.
model load_onnx(const std::string& path);

/// @brief load_onnx on bytes already in memory (fuzzers, tests); @p origin names it in errors,
/// and external data files are looked up beside it.
model parse_onnx(const std::string& bytes, const std::string& origin);

}  // namespace rramft::models
