#pragma once
/// @file layer.h
/// @brief A weight layer as it sits on the chip: the quantized kept weights, the content of
/// every bit column of its crossbars, and the cells that read wrong on a given chip.
/// The mapping compiler (mapping/) fills it; the engines (core/mvm.h) and the SystemC
/// modules read it.
#include <cstdint>
#include <string>
#include <vector>

#include "core/faults.h"
#include "core/quant.h"
#include "core/range_check.h"
#include "core/spec.h"

namespace rramft {

/// @brief What one physical bit column holds. Every row block of a layer has the same layout.
struct column_content {
  int32_t out = -1;   ///< index into kept_cols; -1 = free column
  int16_t slice = 0;  ///< weight slice, 0 = least significant
  int8_t neg = 0;     ///< 1 = negative array of the differential pair
  int8_t cand = 0;    ///< candidate (copy) index, 0 = primary
  bool used() const { return out >= 0; }
};

/// @brief A weight layer mapped onto crossbars.
struct mapped_layer {
  std::string name;
  int rows = 0, cols = 0;  ///< logical inputs and outputs before compaction
  /// Inputs that carry a weight; kept row i sits on word line i % R of row block i / R. In
  /// ascending order, unless fault-aware placement permuted them within their row blocks.
  std::vector<int> kept_rows;
  std::vector<int> kept_cols;           ///< outputs that carry a weight, ascending
  quantized_matrix w;                   ///< kept_cols x kept_rows, in kept_rows' order
  arch_spec arch;                       ///< the chip it was mapped for
  int row_blocks = 0;                   ///< crossbars stacked over the kept inputs
  int xbars_per_block = 0;              ///< crossbars side by side in one row block
  uint64_t first_xbar = 0;              ///< chip-wide id of crossbar (0, 0)
  std::vector<column_content> columns;  ///< xbars_per_block * C entries
  output_range out_range;               ///< profiled output range, for schemes with range checks

  int R() const { return arch.crossbar.rows; }
  int C() const { return arch.crossbar.cols; }
  int slices() const { return arch.weight_slices(); }
  int copies() const { return arch.copies(); }
  bool is_protected(int slice) const { return slice >= slices() - arch.protected_slices(); }
  /// @brief Slices inside the msb fault scope (top protection.planes planes).
  bool in_fault_scope(int slice) const {
    return arch.fault.scope == fault_scope::all || slice >= slices() - arch.protection.planes;
  }
  bool is_flipped(int slice) const { return arch.flipped() && is_protected(slice); }
  int block_rows(int b) const { return std::min(R(), int(kept_rows.size()) - b * R()); }
  uint64_t xbar_id(int b, int k) const { return first_xbar + uint64_t(b) * xbars_per_block + k; }
  int crossbars() const { return row_blocks * xbars_per_block; }
  /// @brief Level programmed into the cell at kept row @p kr of a column holding @p cc.
  int programmed_level(int kr, const column_content& cc) const;
  /// @brief OPC weight of a column holding @p cc.
  int64_t column_weight(const column_content& cc) const;
};

/// @brief A cell of a mapped layer that reads a different level than it was programmed to.
struct cell_error {
  int32_t block;   ///< row block
  int32_t column;  ///< index into mapped_layer::columns (crossbar * C + column)
  int32_t row;     ///< row inside the crossbar
  int32_t delta;   ///< read level - programmed level
};

/// @brief Every cell of @p l that reads wrong on chip @p f at every read: its stuck-at faults.
/// Cells outside the fault scope, in free columns or in unused rows are skipped. Sorted by
/// (block, column, row). Transient flips are per read (transient_errors).
std::vector<cell_error> read_errors(const mapped_layer& l, const fault_map& f);

/// @brief Which reads the input vectors of one call are: vector v is read v % per_input of
/// input first + v / per_input. An input is one image or token sequence; a layer reads its
/// crossbars once per vector, so once per output position of a convolution and once per
/// token (the engine passes batches input-major, as the network passes them).
struct read_window {
  uint64_t first = 0;  ///< index of the call's first input in the data
  int per_input = 1;   ///< vectors of one input in this call
};

/// @brief The transient faults of one call: the chip that draws them (null, or a transient
/// rate of 0: none) and the reads its vectors are.
struct transient_reads {
  const fault_map* chip = nullptr;
  read_window window;
  bool on() const { return chip && chip->has_transients(); }
  /// @brief The chip's column sums are analog: conductance variation or read noise (issue 20).
  bool analog() const { return chip && chip->analog(); }
  uint64_t input(int v) const { return window.first + uint64_t(v / window.per_input); }
  uint64_t read(int v) const { return uint64_t(v % window.per_input); }
};

/// @brief Appends to @p out the cells of crossbar (@p b, @p x) of @p l whose level differs,
/// during vector @p v's read (@p t), from what they read at every read (read_errors): delta =
/// the level with the flip - the level without (a stuck cell flips its stuck level). Cells
/// outside the fault scope, in free columns or in unused rows are skipped; row-major order.
/// The one place that turns a chip's per-read flips into errors: the engine's paths and the
/// chip model's crossbar bank all call it.
void transient_errors(const mapped_layer& l, const transient_reads& t, int b, int x, int v,
                      std::vector<cell_error>& out);

}  // namespace rramft
