#include "dockerdiff/commands/verify.hpp"

#include "dockerdiff/error.hpp"

namespace dockerdiff::commands {

// PLACEHOLDER until the verify work lands (branch issue4 only).
int run_verify(const VerifyOptions&) { throw Error("verify: not implemented yet"); }

}  // namespace dockerdiff::commands
