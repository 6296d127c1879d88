#include "dispatch/threading.hpp"

#include <atomic>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace fastloss {

namespace {
int default_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();  // honours OMP_NUM_THREADS
#else
  return 1;
#endif
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> n{default_threads()};
  return n;
}
}  // namespace

bool openmp_enabled() {
#if defined(_OPENMP)
  return true;
#else
  return false;
#endif
}

int get_num_threads() { return thread_setting().load(std::memory_order_relaxed); }

bool set_num_threads(int n) {
  if (n < 1) return false;
#if defined(_OPENMP)
  thread_setting().store(n, std::memory_order_relaxed);
#endif
  return true;
}

}  // namespace fastloss
