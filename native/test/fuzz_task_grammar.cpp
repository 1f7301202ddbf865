// fuzz_task_grammar.cpp -- libFuzzer target for the task grammar. Parses
// arbitrary bytes; whenever parse() succeeds, the canonical string must parse
// back to the same Command and be a fixed point of format(); whenever it
// fails, the error must carry a catalogued message ID, a text and an offset
// inside the input. Any violation aborts. Run with test/fuzz.sh.
#include "grammar.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace gh::task;

static void fail(const char *what, std::string_view in) {
  std::fprintf(stderr, "fuzz_task_grammar: %s (input %zu bytes)\n", what, in.size());
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char *>(data), size);
  const ParseResult r = parse(in);
  if (!r.ok) {
    if (r.error.text.empty()) fail("error without text", in);
    if (r.error.message_id != message_id(r.error.code)) fail("message ID does not match the code", in);
    if (r.error.offset > in.size() && !(r.error.code == ErrorCode::TooLong && r.error.offset == kMaxInputBytes))
      fail("error offset outside the input", in);
    return 0;
  }
  const std::string canonical = format(r.command);
  const ParseResult again = parse(canonical);
  if (!again.ok) fail("format() output does not parse", in);
  if (again.command != r.command) fail("parse(format(cmd)) != cmd", in);
  if (format(again.command) != canonical) fail("format() is not a fixed point", in);
  // Every user ID that parsed, quoted canonically, parses back to itself.
  if (!r.command.user_id.empty()) {
    const ParseResult q = parse("terminate all_sessions " + quote(r.command.user_id));
    if (!q.ok || q.command.user_id != r.command.user_id) fail("quote() does not round-trip", in);
  }
  return 0;
}
