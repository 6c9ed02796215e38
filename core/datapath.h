#pragma once
/// @file datapath.h
/// @brief The bit-serial datapath of one row block, step by step, as the hardware executes it:
/// DAC slice levels, the levels a crossbar's cells read, column sums, ADC conversion, OPC
/// shift-and-add into per-candidate partial sums, and the voting unit. mvm()'s bit-serial path
/// and the SystemC modules are both compositions of these steps.
#include <cstdint>
#include <vector>

#include "core/layer.h"
#include "core/periph.h"

namespace rramft {

/// @brief DAC levels of input slice @p k for @p n vectors over the rows of row block @p b.
/// @param xk n x kept_rows integer activations; @param out n x block_rows(b)
void dac_levels(const mapped_layer& l, const int32_t* xk, int n, int b, int k, float* out);

/// @brief Levels the cells of crossbar (@p b, @p x) read: programmed levels plus the read
/// errors that fall in it, times each used cell's conductance variation factor on @p chip
/// (fault_map::variation_factor; none when @p chip is null or its variation is 0).
/// @param out block_rows(b) x C, row-major
void crossbar_levels(const mapped_layer& l, const std::vector<cell_error>& errors, int b, int x,
                     float* out, const fault_map* chip = nullptr);

/// @brief One read of crossbar (@p b, @p x) for input slice @p k: the column sums of @p n
/// vectors (n x C) from their DAC levels @p digits (n x block_rows(b)) and the cells' levels
/// @p levels (crossbar_levels), plus the transient flips of each read (transient_sums). When
/// the chip's sums are analog (t.analog(): variation or read noise), every sum is computed in
/// double in row order (so that it does not depend on n or on a GEMM's blocking) and read
/// noise adds read_noise x sqrt(sum_r (d_r g_r)^2) x z per column, z a standard normal deviate
/// of (read, slice, column): the exact distribution of independent per-cell read noise
/// g_r (1 + read_noise x z_r). Otherwise the float GEMM column_sums, exact on integers.
void read_sums(const mapped_layer& l, const transient_reads& t, int b, int x, int k,
               const float* digits, int n, const float* levels, float* sums);

/// @brief Transient flips during the reads of crossbar (@p b, @p x): adds delta x DAC level of
/// the flipped cell's row to its column's sum, for each of the @p n vectors (its read in @p t).
/// @param digits n x block_rows(b) DAC levels of one slice; @param sums n x C column sums
void transient_sums(const mapped_layer& l, const transient_reads& t, int b, int x,
                    const float* digits, int n, float* sums);

/// @brief ADC: converts the used columns of crossbar @p x (n x C sums) to integers; free
/// columns are left at 0. Returns the number of conversions done.
int64_t adc_convert(const mapped_layer& l, const adc_model& adc, int x, const float* sums, int n,
                    int64_t* converted);

/// @brief The OPC's accumulators for one row block: plain sums per output and, for voted
/// (protected) planes, one sum per candidate.
struct block_partials {
  int n = 0, outputs = 0, candidates = 1;
  std::vector<int64_t> plain;  ///< n x outputs
  std::vector<int64_t> cand;   ///< n x outputs x candidates (empty when nothing is voted)
  void reset(int n_, int outputs_, int candidates_);
};

/// @brief OPC: shift-and-add of crossbar @p x's converted column values for input slice @p k,
/// with the sign of the negative array and of flipped planes. Returns the additions done.
int64_t opc_accumulate(const mapped_layer& l, int x, int k, const int64_t* converted, int n,
                       block_partials& p);

/// @brief Voting unit and tile accumulator: yk (n x kept_cols) += plain + median of the
/// candidates, per output. Returns the comparisons a sorting network of T inputs needs.
int64_t vote_accumulate(const block_partials& p, int64_t* yk);

}  // namespace rramft
