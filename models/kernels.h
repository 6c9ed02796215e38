#pragma once
/// @file kernels.h
/// @brief The digital (special-function unit) arithmetic that more than one operator of the
/// graph uses: one implementation each of GELU, erf, layer norm, row softmax and multi-head
/// attention, so that an ONNX graph and a family front end compute them identically.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace rramft::models {

/// Leaves new elements uninitialised: every activation buffer of the graph is written in full
/// before it is read, and zeroing them first cost more than some of the layers.
template <class T>
struct uninitialised_allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = uninitialised_allocator<U>;
  };
  uninitialised_allocator() = default;
  template <class U>
  uninitialised_allocator(const uninitialised_allocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
/// Float activations (resize() leaves new elements uninitialised).
using fvec = std::vector<float, uninitialised_allocator<float>>;

namespace kernels {

/// x := x * Phi(x) in place with Eigen's vectorised erf (@p tanh_approx: the tanh form).
void gelu(float* x, size_t n, bool tanh_approx);
/// y := erf(x) (Eigen's vectorised erf, the one GELU uses).
void erf(const float* x, size_t n, float* y);
/// Row-wise layer norm of a rows x w matrix: statistics in double, each row's sums in index
/// order; @p b may be null (no shift).
void layer_norm(const float* x, size_t rows, size_t w, const float* g, const float* b, double eps,
                float* out);
/// Softmax of each of @p rows contiguous rows of length @p len, in place (max subtracted, Eigen's
/// vectorised exp, the row's sum divided out).
void softmax_rows(float* x, size_t rows, size_t len);
/// Multi-head self-attention of @p n sequences of @p t tokens: q, k, v and the result are
/// n x t x hidden, each head softmax(Q K^T / sqrt(d)) V over its d = hidden / heads columns.
void attention(const float* q, const float* k, const float* v, int n, int t, int hidden, int heads,
               float* out);

}  // namespace kernels
}  // namespace rramft::models
