// The thread count kernels use (OpenMP when built with it, else always 1).
#pragma once

namespace fastloss {

bool openmp_enabled();
int get_num_threads();
// n >= 1; returns false when n is invalid.
bool set_num_threads(int n);

}  // namespace fastloss
