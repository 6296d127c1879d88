#include "dispatch/cpu_features.hpp"

#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64)
#define FASTLOSS_X86 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace fastloss {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::baseline: return "baseline";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    case Isa::neon: return "neon";
  }
  return "unknown";
}

#if defined(FASTLOSS_X86)
namespace {

struct CpuidRegs {
  std::uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(std::uint32_t leaf, std::uint32_t subleaf) {
  CpuidRegs r;
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = static_cast<std::uint32_t>(regs[0]);
  r.ebx = static_cast<std::uint32_t>(regs[1]);
  r.ecx = static_cast<std::uint32_t>(regs[2]);
  r.edx = static_cast<std::uint32_t>(regs[3]);
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

// XCR0: which register states the OS saves on context switch.
std::uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
#endif
}

bool bit(std::uint32_t reg, int b) { return (reg >> b) & 1u; }

struct X86Features {
  bool avx2_fma = false;
  bool avx512 = false;  // F + DQ + VL + BW
};

X86Features detect() {
  X86Features f;
  const CpuidRegs l0 = cpuid(0, 0);
  if (l0.eax < 7) return f;
  const CpuidRegs l1 = cpuid(1, 0);
  const bool osxsave = bit(l1.ecx, 27);
  if (!osxsave || !bit(l1.ecx, 28)) return f;  // AVX
  const std::uint64_t xcr0 = xgetbv0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;             // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;           // + opmask, ZMM_Hi256, Hi16_ZMM
  const CpuidRegs l7 = cpuid(7, 0);
  const bool fma = bit(l1.ecx, 12);
  const bool f16c = bit(l1.ecx, 29);
  const bool avx2 = bit(l7.ebx, 5);
  const bool bmi1 = bit(l7.ebx, 3), bmi2 = bit(l7.ebx, 8);
  f.avx2_fma = os_ymm && avx2 && fma && f16c && bmi1 && bmi2;
  const bool avx512f = bit(l7.ebx, 16), avx512dq = bit(l7.ebx, 17);
  const bool avx512bw = bit(l7.ebx, 30), avx512vl = bit(l7.ebx, 31);
  f.avx512 = f.avx2_fma && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  return f;
}

const X86Features& features() {
  static const X86Features f = detect();
  return f;
}

}  // namespace
#endif

bool cpu_supports(Isa isa) {
#if defined(FASTLOSS_X86)
  switch (isa) {
    case Isa::baseline: return true;
    case Isa::avx2: return features().avx2_fma;
    case Isa::avx512: return features().avx512;
    case Isa::neon: return false;
  }
  return false;
#elif defined(__aarch64__) || defined(_M_ARM64)
  return isa == Isa::neon;  // NEON is part of the aarch64 baseline
#else
  return isa == Isa::baseline;
#endif
}

}  // namespace fastloss
