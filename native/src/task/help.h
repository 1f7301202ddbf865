// help.h -- the text of `help` and `help <task>` (task_list() is declared in
// executor.h, which is the public face of the engine).
#pragma once
#include <string>
#include <vector>

namespace gh::task {

struct HelpText {
  std::vector<std::string> lines; // result lines
  unsigned tasks = 0;             // how many tasks they describe (0: no match)
};

// Every task whose keywords begin with `words` (ASCII case-insensitive), or
// whose kind_name() equals the single word (`help terminate_all_sessions`).
// For each, in the reference product's layout:
//   Command:
//   <syntax line>
//   Description:
//   <one line>
//   Example:
//   <one line>
HelpText describe(const std::vector<std::string> &words);

} // namespace gh::task
