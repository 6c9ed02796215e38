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
  int rows = 0, cols = 0;               ///< logical inputs and outputs before compaction
  std::vector<int> kept_rows;           ///< inputs that carry a weight, ascending
  std::vector<int> kept_cols;           ///< outputs that carry a weight, ascending
  quantized_matrix w;                   ///< kept_cols x kept_rows
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

/// @brief Every cell of @p l that reads wrong on chip @p f during evaluation @p epoch (stuck-at
/// faults are the same for every epoch; transient flips differ). Cells outside the fault scope,
/// in free columns or in unused rows are skipped. Sorted by (block, column, row).
std::vector<cell_error> read_errors(const mapped_layer& l, const fault_map& f, uint64_t epoch);

}  // namespace rramft
