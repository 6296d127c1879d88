#include "dispatch/dispatch.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace fastloss {

#define FASTLOSS_DECLARE_ISA(name) \
  namespace name {                 \
  void fill_table(KernelTable&);   \
  }
#if FASTLOSS_HAVE_BASELINE
FASTLOSS_DECLARE_ISA(baseline)
#endif
#if FASTLOSS_HAVE_AVX2
FASTLOSS_DECLARE_ISA(avx2)
#endif
#if FASTLOSS_HAVE_AVX512
FASTLOSS_DECLARE_ISA(avx512)
#endif
#if FASTLOSS_HAVE_NEON
FASTLOSS_DECLARE_ISA(neon)
#endif
#undef FASTLOSS_DECLARE_ISA

namespace {

constexpr int kNumIsas = 4;

struct Registry {
  std::array<KernelTable, kNumIsas> tables{};
  std::array<bool, kNumIsas> compiled{};
  std::atomic<const KernelTable*> active{nullptr};
  Isa active_isa = Isa::baseline;
  Isa best = Isa::baseline;
  std::string env_warning;

  // A copy the CPU cannot run is never entered, not even to fill its table: the compiler
  // may use that ISA's instructions there too (AVX-512 stores in avx512's fill_table).
  void add(Isa isa, void (*fill)(KernelTable&)) {
    const auto i = static_cast<std::size_t>(isa);
    compiled[i] = true;
    if (cpu_supports(isa)) fill(tables[i]);
  }

  Registry() {
#if FASTLOSS_HAVE_BASELINE
    add(Isa::baseline, baseline::fill_table);
#endif
#if FASTLOSS_HAVE_AVX2
    add(Isa::avx2, avx2::fill_table);
#endif
#if FASTLOSS_HAVE_AVX512
    add(Isa::avx512, avx512::fill_table);
#endif
#if FASTLOSS_HAVE_NEON
    add(Isa::neon, neon::fill_table);
#endif
    bool found = false;
    for (int i = 0; i < kNumIsas; ++i) {
      const Isa isa = static_cast<Isa>(i);
      if (compiled[static_cast<std::size_t>(i)] && cpu_supports(isa)) {
        best = isa;
        found = true;
      }
    }
    if (!found) std::abort();  // unreachable: the portable copy is always compiled
    check_same_losses();
    Isa chosen = best;
    if (const char* env = std::getenv("FASTLOSS_ISA"); env != nullptr && *env != '\0') {
      Isa requested;
      if (!parse_isa(env, requested)) {
        env_warning = std::string("FASTLOSS_ISA=") + env +
                      " is not one of baseline, avx2, avx512, neon; using " + isa_name(best);
      } else if (!compiled[static_cast<std::size_t>(requested)] || !cpu_supports(requested)) {
        env_warning = std::string("FASTLOSS_ISA=") + env +
                      " is not available on this machine (it can only lower the choice); using " +
                      isa_name(best);
      } else if (static_cast<int>(requested) < static_cast<int>(best)) {
        chosen = requested;
      }
    }
    select(chosen);
  }

  // Bindings name kernels by index: every filled copy must list the same losses in order.
  void check_same_losses() const {
    const KernelTable* first = nullptr;
    for (std::size_t i = 0; i < tables.size(); ++i) {
      if (tables[i].isa == nullptr) continue;  // not filled here
      if (first == nullptr) {
        first = &tables[i];
        continue;
      }
      if (tables[i].num_losses != first->num_losses) std::abort();
      for (int k = 0; k < first->num_losses; ++k) {
        if (std::strcmp(tables[i].losses[k].name, first->losses[k].name) != 0) std::abort();
      }
    }
  }

  void select(Isa isa) {
    active_isa = isa;
    active.store(&tables[static_cast<std::size_t>(isa)], std::memory_order_release);
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

const KernelTable& kernels() { return *registry().active.load(std::memory_order_acquire); }

std::vector<Isa> compiled_isas() {
  std::vector<Isa> out;
  for (int i = 0; i < kNumIsas; ++i) {
    if (registry().compiled[static_cast<std::size_t>(i)]) out.push_back(static_cast<Isa>(i));
  }
  return out;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (Isa isa : compiled_isas()) {
    if (cpu_supports(isa)) out.push_back(isa);
  }
  return out;
}

Isa active_isa() { return registry().active_isa; }
Isa best_isa() { return registry().best; }

bool set_active_isa(Isa isa) {
  Registry& r = registry();
  if (!r.compiled[static_cast<std::size_t>(isa)] || !cpu_supports(isa)) return false;
  r.select(isa);
  return true;
}

bool parse_isa(const std::string& name, Isa& isa) {
  for (Isa candidate : {Isa::baseline, Isa::avx2, Isa::avx512, Isa::neon}) {
    if (name == isa_name(candidate)) {
      isa = candidate;
      return true;
    }
  }
  return false;
}

const std::string& isa_env_warning() { return registry().env_warning; }

}  // namespace fastloss
