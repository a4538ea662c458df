#include "dockerdiff/commands/restore.hpp"

#include "dockerdiff/error.hpp"

namespace dockerdiff::commands {

// PLACEHOLDER until the restore work lands (branch issue4 only).
int run_restore(const RestoreOptions&) { throw Error("restore: not implemented yet"); }

}  // namespace dockerdiff::commands
