// CPU feature detection (cpuid + xgetbv on x86-64).
#pragma once

namespace fastloss {

// Instruction sets we compile kernel copies for, from least to most capable.
enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2, neon = 3 };

const char* isa_name(Isa isa);

// True when this CPU and OS can run code compiled for `isa`.
bool cpu_supports(Isa isa);

}  // namespace fastloss
