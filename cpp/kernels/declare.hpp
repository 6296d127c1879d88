// How a family declares its losses to the kernel table, and the helpers its kernels share:
// reading options by name and turning run-time flags into template flags.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <type_traits>

#include "kernels/isa.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

inline bool same_name(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// The value of the option `name` its kernel declared; NaN for a name it did not declare
// (a kernel's own bug, which then shows in every result).
inline double option(const Options& o, const char* name) {
  for (int k = 0; k < kMaxOptions && o.names != nullptr && o.names[k] != nullptr; ++k) {
    if (same_name(o.names[k], name)) return o.value[k];
  }
  return std::numeric_limits<double>::quiet_NaN();
}

inline bool flag(const Options& o, const char* name) { return option(o, name) != 0.0; }

// Calls f(std::bool_constant<b>{}...) with the run-time flags as template flags: one
// instantiation of f per combination.
template <class F>
auto with_flags(const F& f) {
  return f();
}
template <class F, class... Rest>
auto with_flags(const F& f, bool first, Rest... rest) {
  if (first) {
    return with_flags([&](auto... flags) { return f(std::true_type{}, flags...); }, rest...);
  }
  return with_flags([&](auto... flags) { return f(std::false_type{}, flags...); }, rest...);
}

// A kernel table entry: the loss's name, engine and functions, and the names of the options
// its kernel reads (a loss's whole kernel-side declaration).
template <class... Names>
LossKernel elementwise_loss(const char* name, PerDtype<ElementwiseFn> fn, Names... options) {
  static_assert(sizeof...(Names) <= kMaxOptions, "too many options");
  LossKernel k{name, Engine::elementwise, {options...}, nullptr, fn, {}, {}};
  return k;
}

template <class... Names>
LossKernel row_loss(const char* name, PerDtype<RowFn> fn, Names... options) {
  static_assert(sizeof...(Names) <= kMaxOptions, "too many options");
  LossKernel k{name, Engine::rows, {options...}, nullptr, {}, fn, {}};
  return k;
}

template <class... Names>
LossKernel embedding_loss(const char* name, PerDtype<EmbeddingFn> fn, Names... options) {
  static_assert(sizeof...(Names) <= kMaxOptions, "too many options");
  LossKernel k{name, Engine::embedding, {options...}, nullptr, {}, {}, fn};
  return k;
}

inline void add(KernelTable& table, const LossKernel& kernel) {
  if (table.num_losses == kMaxLosses) std::abort();  // raise kMaxLosses
  table.losses[table.num_losses++] = kernel;
}

FASTLOSS_END_ISA_NAMESPACE
