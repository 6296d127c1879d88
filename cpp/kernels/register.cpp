// Fills this ISA copy's kernel table; dispatch calls fastloss::<isa>::fill_table.
#include "kernels/adversarial.hpp"
#include "kernels/classification.hpp"
#include "kernels/count.hpp"
#include "kernels/embedding.hpp"
#include "kernels/reduce.hpp"
#include "kernels/regression.hpp"
#include "kernels/table.hpp"

#define FASTLOSS_STR2_(x) #x
#define FASTLOSS_STR_(x) FASTLOSS_STR2_(x)

FASTLOSS_BEGIN_ISA_NAMESPACE

void register_math(KernelTable& table);  // math_eval.cpp

void fill_table(KernelTable& table) {
  table.isa = FASTLOSS_STR_(FASTLOSS_ISA);
  table.sum = {sum<float>, sum<double>};
  register_regression(table);
  register_classification(table);
  register_embedding(table);
  register_adversarial(table);
  register_count(table);
  register_math(table);
}

FASTLOSS_END_ISA_NAMESPACE
