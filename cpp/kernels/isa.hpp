// Per-ISA compilation: every kernel source is compiled once per instruction set with
// -DFASTLOSS_ISA=<name>, and all of its code lives in namespace fastloss::<name>.
// Distinct namespaces keep inline helpers and templates of different ISA copies from
// being merged by the linker (the hazard behind numpy#25274).
#pragma once

#ifndef FASTLOSS_ISA
#error "kernel sources are compiled per ISA with -DFASTLOSS_ISA=<name>"
#endif

#define FASTLOSS_BEGIN_ISA_NAMESPACE \
  namespace fastloss {               \
  namespace FASTLOSS_ISA {
#define FASTLOSS_END_ISA_NAMESPACE \
  }                                \
  }

// `omp simd` asks for vectorization of the next loop; -fopenmp-simd (always on for GCC and
// Clang) honours it without the OpenMP runtime.
#if defined(_MSC_VER)
#define FASTLOSS_SIMD __pragma(loop(ivdep))
#else
#define FASTLOSS_SIMD _Pragma("omp simd")
#endif

// Unroll the next loop n times (GCC and Clang; other compilers decide for themselves).
#if defined(__GNUC__)
#define FASTLOSS_UNROLL(n) _Pragma(FASTLOSS_STRINGIFY(GCC unroll n))
#define FASTLOSS_STRINGIFY(x) #x
#else
#define FASTLOSS_UNROLL(n)
#endif

// A hint to bring the cache line holding *address into the caches (never faults);
// FASTLOSS_PREFETCH_L2 stops at the second level (prefetcht1 on x86).
#if defined(_MSC_VER)
#include <xmmintrin.h>
#define FASTLOSS_PREFETCH(address) \
  _mm_prefetch(reinterpret_cast<const char*>(address), _MM_HINT_T0)
#define FASTLOSS_PREFETCH_L2(address) \
  _mm_prefetch(reinterpret_cast<const char*>(address), _MM_HINT_T1)
#else
#define FASTLOSS_PREFETCH(address) __builtin_prefetch(address)
#define FASTLOSS_PREFETCH_L2(address) __builtin_prefetch(address, 0, 2)
#endif

// Around code that uses SIMD intrinsics: GCC can report its own _mm512_undefined_*
// placeholders inside intrinsics (shuffles, conversions) as (maybe-)uninitialized once they
// are inlined, a false positive that -Werror would turn into a build failure.
#if defined(__GNUC__) && !defined(__clang__)
#define FASTLOSS_INTRINSICS_BEGIN                                  \
  _Pragma("GCC diagnostic push")                                   \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")      \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")
#define FASTLOSS_INTRINSICS_END _Pragma("GCC diagnostic pop")
#else
#define FASTLOSS_INTRINSICS_BEGIN
#define FASTLOSS_INTRINSICS_END
#endif

// OpenMP pragmas that vanish when the build has no OpenMP (no unknown-pragma warnings).
#if defined(_OPENMP)
#if defined(_MSC_VER)
#define FASTLOSS_OMP(directive) __pragma(omp directive)
#else
#define FASTLOSS_PRAGMA_(text) _Pragma(#text)
#define FASTLOSS_OMP(directive) FASTLOSS_PRAGMA_(omp directive)
#endif
#else
#define FASTLOSS_OMP(directive)
#endif
