#include "dispatch/threading.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#if defined(_OPENMP)
#include <omp.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define FASTLOSS_HAVE_ATFORK 1
#endif

namespace fastloss {

namespace {

int logical_cpus() {
#if defined(_OPENMP)
  return std::max(1, omp_get_num_procs());
#else
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));  // 0: unknown
#endif
}

int requested_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();  // honours OMP_NUM_THREADS
#else
  return 1;
#endif
}

std::atomic<bool>& forked_flag() {
  static std::atomic<bool> forked{false};
  return forked;
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> n{std::min(requested_threads(), max_threads())};
  return n;
}

std::atomic<bool>& team_started() {
  static std::atomic<bool> started{false};
  return started;
}

// Load-following team size. A team's master that waited for its team longer than kStallNs
// (and longer than a quarter of its own work) waited for a worker the OS had not run: the
// next calls run on one thread until the pause ends. The pause starts at kFirstPauseNs and
// doubles, up to kMaxPauseNs, for each stall in a row; a call that does not stall resets it.
constexpr std::int64_t kStallNs = 150'000;
constexpr std::int64_t kFirstPauseNs = 20'000'000;
constexpr std::int64_t kMaxPauseNs = 500'000'000;

std::atomic<std::int64_t> g_pause_until{0};
std::atomic<std::int64_t> g_pause_ns{0};

#if defined(FASTLOSS_HAVE_ATFORK)
// libgomp's worker threads are not copied into a forked child, and its first team there
// waits for them forever: the child runs every kernel on the calling thread instead.
void on_fork_child() {
  if (!team_started().load(std::memory_order_relaxed)) return;  // no pool to lose
  forked_flag().store(true, std::memory_order_relaxed);
  thread_setting().store(1, std::memory_order_relaxed);
}

const bool kAtForkRegistered = [] {
  return pthread_atfork(nullptr, nullptr, &on_fork_child) == 0;
}();
#endif

}  // namespace

bool openmp_enabled() {
#if defined(_OPENMP)
  return true;
#else
  return false;
#endif
}

int max_threads() { return 4 * logical_cpus(); }

int get_num_threads() { return thread_setting().load(std::memory_order_relaxed); }

bool set_num_threads(int n) {
  if (n < 1 || n > max_threads()) return false;
#if defined(_OPENMP)
  if (!forked_flag().load(std::memory_order_relaxed)) {
    thread_setting().store(n, std::memory_order_relaxed);
  }
#endif
  return true;
}

std::string threads_env_warning() {
  const int asked = requested_threads();
  if (asked <= max_threads()) return {};
  return "OMP_NUM_THREADS asks for " + std::to_string(asked) + " threads, above fastloss's cap of " +
         std::to_string(max_threads()) + " (4x the " + std::to_string(logical_cpus()) +
         " logical CPUs); using " + std::to_string(max_threads());
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int plan_team(int requested) {
  if (requested <= 1) return 1;
  if (g_pause_until.load(std::memory_order_relaxed) > now_ns()) return 1;
  team_started().store(true, std::memory_order_relaxed);
  return requested;
}

void report_team(int team, std::int64_t master_wait_ns, std::int64_t master_work_ns) {
  if (team <= 1) return;
  const bool stalled = master_wait_ns > kStallNs && 4 * master_wait_ns > master_work_ns;
  if (!stalled) {
    if (g_pause_ns.load(std::memory_order_relaxed) != 0) {
      g_pause_ns.store(0, std::memory_order_relaxed);
    }
    return;
  }
  // Two calls reporting at once may both double from the same pause: one doubling lost.
  const std::int64_t previous = g_pause_ns.load(std::memory_order_relaxed);
  const std::int64_t pause =
      previous == 0 ? kFirstPauseNs : std::min(kMaxPauseNs, 2 * previous);
  g_pause_ns.store(pause, std::memory_order_relaxed);
  g_pause_until.store(now_ns() + pause, std::memory_order_relaxed);
}

bool forked_after_threads() { return forked_flag().load(std::memory_order_relaxed); }

}  // namespace fastloss
