// The active kernel table: filled once per compiled ISA at import, switched atomically.
#pragma once

#include <string>
#include <vector>

#include "dispatch/cpu_features.hpp"
#include "kernels/table.hpp"

namespace fastloss {

// The table of the active ISA (valid for the life of the process).
const KernelTable& kernels();

std::vector<Isa> compiled_isas();
std::vector<Isa> supported_isas();  // compiled and runnable on this CPU, ascending
Isa active_isa();
Isa best_isa();

// Makes `isa` active; false when it is not compiled or not supported here.
bool set_active_isa(Isa isa);

// Parses an ISA name; false for unknown names.
bool parse_isa(const std::string& name, Isa& isa);

// A message about an ignored FASTLOSS_ISA value, empty when there is none.
const std::string& isa_env_warning();

}  // namespace fastloss
