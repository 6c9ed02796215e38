#pragma once
/// @file mapping.h
/// @brief The mapping compiler: compacts pruned rows and columns, slices weights into planes,
/// places planes on crossbars and embeds the extra candidates of protected planes into the
/// bit columns that pruning freed (Algorithm 2 of arXiv 2401.11664), then reports the cost.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/layer.h"
#include "core/spec.h"
#include "models/model.h"

namespace rramft::mapping {

/// @brief What mapping one layer cost, against the dense unprotected baseline.
struct layer_report {
  std::string name;
  int rows = 0, cols = 0;  ///< logical inputs / outputs
  int kept_rows = 0, kept_cols = 0;
  double col_sparsity = 0;       ///< pruned outputs / outputs
  double row_sparsity = 0;       ///< pruned inputs / inputs
  int row_blocks = 0;            ///< after row compaction
  int crossbars = 0;             ///< used by this mapping
  int crossbars_baseline = 0;    ///< dense, unprotected, uncompacted
  int crossbars_pruned = 0;      ///< compacted, unprotected
  int extra_crossbars = 0;       ///< row blocks x crossbars per block beyond the dense layout's
  double threshold = 0;          ///< column sparsity the copies need to fit the baseline
  bool embedded = true;          ///< every copy sits in space the baseline already had
  int64_t cells_used = 0;        ///< programmed cells (used bit columns x rows)
  int64_t cells_baseline = 0;    ///< rows x cols x 2 x slices
  double msb_zero_fraction = 0;  ///< kept weights whose top magnitude slice is 0
  /// Stuck cells of the chip (arch's seed and fault keys) that read a wrong level in this
  /// layer: under the blind layout, and under the one mapped (fault-aware or not); -1 when the
  /// chip has no stuck cells.
  int64_t harmful_blind = -1, harmful = -1;
};

/// @brief A whole model mapped onto one chip.
struct chip_mapping {
  arch_spec arch;
  std::string model_dir, family;
  std::vector<mapped_layer> layers;
  std::vector<layer_report> reports;
  int crossbars_used() const;
  int crossbars_baseline() const;
  double storage_overhead_pct() const;  ///< extra crossbars over the baseline, percent
  /// @brief Share of all kept weights whose top magnitude slice is 0 (weighted over layers).
  double msb_zero_fraction() const;
  nlohmann::json to_json() const;
};

/// @brief Kept inputs and outputs of a layer: from its stored masks, else its non-zero weights.
void kept_indices(const models::weight_layer& wl, std::vector<int>& rows, std::vector<int>& cols);

/// @brief Maps one layer; crossbar ids start at @p first_xbar.
mapped_layer map_layer(const models::weight_layer& wl, const arch_spec& arch, uint64_t first_xbar,
                       layer_report& report);

/// @brief Maps every weight layer of @p m. In strict mode (arch.mapping.strict) a layer whose
/// copies do not fit throws rramft::error naming the layer, its sparsity and the sparsity needed.
chip_mapping map_model(const models::model& m, const arch_spec& arch);

/// @brief Rounds of the column / row alternation of place_around_faults at most.
constexpr int max_placement_rounds = 8;

/// @brief Fault-aware placement (mapping.fault_aware; docs/faults.md) so that the fewest stuck
/// cells of @p chip read a wrong level. Column step: the column contents of each crossbar of
/// @p l (the same arrangement in every row block, as the layout is shared), free columns
/// included, over its columns, the harm summed over the row blocks. Row step (@p rows): the
/// inputs of each row block over its word lines (kept_rows and the columns of w permuted alike
/// within the block), the harm summed over the block's crossbars. Each step is an optimal
/// assignment (Hungarian method) preferring the present place among equally good ones; the
/// steps alternate, columns first, while one strictly helps (at most max_placement_rounds
/// rounds). Never more harmful cells than before, nor than the column step alone; what the
/// layer computes on a fault-free chip does not change.
/// @return the harmful cells after placement (read_errors(l, chip).size()).
int64_t place_around_faults(mapped_layer& l, const fault_map& chip, bool rows = true);
/// @brief place_around_faults on every layer of a copy of @p cm (the reports' harmful counts
/// updated).
chip_mapping placed_around_faults(const chip_mapping& cm, const fault_map& chip);

}  // namespace rramft::mapping
