#pragma once
/// @file mvm.h
/// @brief Matrix-vector products through a mapped layer: the bit-serial path (DAC slices,
/// column sums, ADC, OPC, vote per row block, accumulation over row blocks) and the fast
/// path for a lossless ADC (one exact dense product plus a correction for every cell that
/// reads wrong). Tests prove both bit-identical wherever the fast path applies.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/layer.h"

namespace rramft {

enum class mvm_path {
  automatic,   ///< fast when the ADC is lossless, bit-serial otherwise
  bit_serial,  ///< slice by slice through the crossbar periphery
  fast         ///< dense product + fault corrections; error if the ADC is lossy
};

/// @brief y = W x for @p n input vectors through the crossbars of @p l.
/// @param x n x l.rows integer activations (logical inputs; pruned inputs are ignored),
///          each within the arch's input range
/// @param errors the cells that read wrong (read_errors), sorted as read_errors returns them
/// @param y n x l.cols integer outputs in units of (weight scale x activation scale);
///          pruned outputs are 0
/// @param t the transient flips of the vectors' reads (none by default)
void mvm(const mapped_layer& l, const std::vector<cell_error>& errors, const int32_t* x, int n,
         int64_t* y, mvm_path path = mvm_path::automatic, const transient_reads& t = {});

/// @brief The fast path of one mapped layer on one chip (lossless ADC): the effective weights
/// the cells hold (programmed values plus every error outside the voted planes, which is
/// linear) and the (row block, output) groups whose voted errors can move a median, since
/// median(a + d_t) = a + median(d_t). Building it is part of programming the chip, done once;
/// run() is then an exact dense product plus the voted corrections, for any batch, from any
/// number of threads at once. mvm() builds one per call. Transient flips, which change with
/// every read, are corrections run() adds per vector (none when the transient rate is 0).
class fast_product {
 public:
  /// @param l the layer, which must outlive the product
  /// @param errors the cells that read wrong at every read (read_errors)
  fast_product(const mapped_layer& l, const std::vector<cell_error>& errors);
  /// @brief yk (n x kept_cols) = the integer products of the kept inputs xk (n x kept_rows),
  /// bit-identical to the bit-serial path with a lossless ADC. float32 GEMMs over chunks of
  /// the inputs whose every partial sum is provably an integer below 2^24 (per vector:
  /// sum |x| x max |w|), added up in int64; float64 only when one product can reach 2^24.
  /// Vector v's transient flips (@p t) add column weight x delta x input to its output, through
  /// the vote where the column is voted.
  /// @throws rramft::error if the partial sums could exceed 2^53
  void run(const int32_t* xk, int n, int64_t* yk, const transient_reads& t = {}) const;

 private:
  struct voted_error {
    int32_t block, out, cand, row;
    int64_t coef;
  };
  void add_transients(const int32_t* xk, int n, int64_t* yk, const transient_reads& t) const;
  const mapped_layer* l_;
  std::string name_;
  int K_, O_, T_;
  std::vector<float> wf_;   ///< kept_cols x kept_rows effective weights, when exact in float
  std::vector<double> wd_;  ///< the same in double, only when a single product can reach 2^24
  int64_t wmax_ = 0;        ///< max |effective weight|
  std::vector<voted_error> voted_;                 ///< sorted by (block, out, cand)
  std::vector<std::pair<size_t, size_t>> groups_;  ///< ranges of voted_ that need a median
};

/// @brief The bit-serial path of one mapped layer on one chip (any ADC, lossy included),
/// prepared once per chip like fast_product and bit-identical to the slice-by-slice reference
/// (mvm_path::bit_serial). Column sums are integers, so they are computed exactly for 32 input
/// vectors at a time in integer lanes: the rows of a row block are taken in groups of 8, the
/// 256 subset sums of every group's DAC digits are tabulated once per (block, slice), and a
/// column's sum is one table entry per group of its bit pattern (the complement when the
/// column is mostly ones, as flipped planes are). Every column sum then goes through the
/// ADC (adc_model::convert, tabulated), the OPC weights and the vote exactly as in
/// core/datapath.h; only the order of integer additions differs. Transient flips of a read
/// (transient_errors) add delta x DAC level to their column's sum before the ADC, as
/// transient_sums does.
class serial_product {
 public:
  /// @param l the layer, which must outlive the product
  /// @param errors the cells that read wrong at every read (read_errors), in any order
  serial_product(const mapped_layer& l, const std::vector<cell_error>& errors);
  ~serial_product();
  serial_product(const serial_product&) = delete;
  serial_product& operator=(const serial_product&) = delete;
  /// @brief yk (n x kept_cols) = the outputs of the kept inputs xk (n x kept_rows), with the
  /// transient flips of their reads @p t.
  void run(const int32_t* xk, int n, int64_t* yk, const transient_reads& t = {}) const;
  /// @brief Which lanes run() computes in, for tests and benchmarks: "8-bit sums, int16 OPC",
  /// "8-bit tables, 16-bit sums, int16 OPC", "16-bit sums", "32-bit sums", or "8-bit sums".
  const char* lanes() const;

 private:
  struct impl;
  std::unique_ptr<const impl> p_;
};

/// @brief The kept inputs of @p n vectors (n x l.rows -> n x kept_rows), range-checked.
std::vector<int32_t> kept_inputs(const mapped_layer& l, const int32_t* x, int n);
/// @brief The same into @p xk (n x kept_rows).
void kept_inputs(const mapped_layer& l, const int32_t* x, int n, int32_t* xk);
/// @brief Kept outputs back to the logical layout (n x kept_cols -> n x l.cols, pruned = 0).
void scatter_outputs(const mapped_layer& l, const int64_t* yk, int n, int64_t* y);

/// @brief The DAC side: quantizes @p n float vectors (n x l.rows) to the layer's input
/// integers @p xq, with one scale per vector (@p fixed_scale <= 0) or @p fixed_scale for all
/// (calibrated); the scales go to @p sx (n values).
void quantize_inputs(const mapped_layer& l, const float* x, int n, double fixed_scale, int32_t* xq,
                     double* sx);

/// @brief quantize_inputs() followed by kept_inputs(), without the full-width intermediate:
/// scales from the whole vectors, integers of the kept rows only (n x kept_rows) into @p xk.
void quantize_kept_inputs(const mapped_layer& l, const float* x, int n, double fixed_scale,
                          int32_t* xk, double* sx);

/// @brief The way back: y = yq * weight scale(output) * sx(vector) + bias, n x l.cols.
/// @p bias may be null.
void dequantize_outputs(const mapped_layer& l, const int64_t* yq, int n, const double* sx,
                        const float* bias, float* y);
/// @brief scatter_outputs() followed by dequantize_outputs(), from the kept outputs @p yk
/// (n x kept_cols) straight to @p y (n x l.cols); bit-identical to the two steps.
void dequantize_kept_outputs(const mapped_layer& l, const int64_t* yk, int n, const double* sx,
                             const float* bias, float* y);

/// @brief Column sums of one crossbar for one input slice: sums[i][c] = sum_r digits[i][r] *
/// levels[r][c] for @p n vectors. digits: n x rows, levels: rows x C (row-major).
void column_sums(const float* digits, int n, int rows, const float* levels, int C, float* sums);

}  // namespace rramft
