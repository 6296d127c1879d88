// Regression losses: elementwise functions of y_pred - y_true (ops and declarations in
// regression.cpp).
#pragma once

#include "kernels/isa.hpp"
#include "kernels/table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

void register_regression(KernelTable& table);

FASTLOSS_END_ISA_NAMESPACE
