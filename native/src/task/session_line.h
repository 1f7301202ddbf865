// session_line.h -- the text forms of a session in task output: the user
// session ID string, ISO-8601 times, and the one-line listing of a session.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "gatehouse.h"

namespace gh::task {

// The reference product's user session ID string,
// `base64(server-name)_<user session ID>`: standard base64 (RFC 4648 section
// 4, `+` `/` and `=` padding) of the `[server] server-name` followed by one
// NUL byte, as the reference product encodes it, then `_`, then the ID that
// `terminate session` takes. The standard alphabet has no `_`, so the first
// underscore always ends the name; grammar.cpp's parser splits it there.
std::string user_session_id_string(std::string_view session_server_name, std::string_view user_session_id);

// Milliseconds since the epoch as ISO-8601 UTC with milliseconds,
// e.g. 2026-11-23T10:43:37.000Z (what JavaScript's Date.toISOString gives).
std::string iso8601_utc(std::uint64_t ms);

// "other", "forms", "basic", "certificate", "eai", "token" (gh_auth_method);
// "unknown" for any other byte.
std::string_view auth_method_name(std::uint8_t method);

// One listing line (see executor.h):
//   <usid string> created=<ISO> last_access=<ISO> auth=<method> level=<n>
//   refresh=<yes|no> user=<quote(login)>
// The user comes last and is written with grammar.h's quote(), so a parser
// takes the rest of the line after ` user=` and unquotes it if it starts
// with a double quote.
std::string session_line(std::string_view session_server_name, const gh_session_info &info,
                         std::string_view login);

// The line that ends a listing that was cut short: `total=<matched> listed=<n>`.
std::string total_line(std::uint32_t matched, std::uint32_t listed);

} // namespace gh::task
