// The thread count kernels use (OpenMP when built with it, else always 1), its cap, and the
// fork guard: a child forked after the parent ran a team runs on one thread, as libgomp's
// pool does not survive fork.
#pragma once

#include <cstdint>
#include <string>

namespace fastloss {

bool openmp_enabled();
int get_num_threads();
// The largest accepted thread count: 4x the logical CPUs (far above any useful team, far
// below the counts at which starting a team exhausts memory or thread limits).
int max_threads();
// 1 <= n <= max_threads(); returns false when n is out of range.
bool set_num_threads(int n);
// Why the default differs from what the environment asked (OMP_NUM_THREADS above the cap),
// or empty.
std::string threads_env_warning();
// The team for a parallel call asking for `requested` threads: `requested`, or 1 for a
// while after a team's master waited long for a worker the OS had not run (another process
// busy on a core), with the pause doubling while the stalls go on.
int plan_team(int requested);
// After a team of `team` threads: how long its master waited for the team (to start, and
// at the closing barrier) and how long it worked in between.
void report_team(int team, std::int64_t master_wait_ns, std::int64_t master_work_ns);
// Monotonic nanoseconds.
std::int64_t now_ns();

// True in a process forked after its parent started a team: it stays on one thread.
bool forked_after_threads();

}  // namespace fastloss
