// session_line.cpp -- see session_line.h.
#include "session_line.h"

#include <cstdio>
#include <ctime>

#include "grammar.h"

namespace gh::task {

std::string user_session_id_string(std::string_view session_server_name, std::string_view user_session_id) {
  std::string name(session_server_name);
  name += '\0';
  std::string out = base64_encode(name);
  out += '_';
  out += user_session_id;
  return out;
}

std::string iso8601_utc(std::uint64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  char buf[48];
  if (!gmtime_r(&secs, &tm)) return "invalid-time";
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<unsigned>(ms % 1000));
  return buf;
}

std::string_view auth_method_name(std::uint8_t method) {
  switch (method) {
  case GH_AUTH_OTHER: return "other";
  case GH_AUTH_FORMS: return "forms";
  case GH_AUTH_BASIC: return "basic";
  case GH_AUTH_CERTIFICATE: return "certificate";
  case GH_AUTH_EAI: return "eai";
  case GH_AUTH_TOKEN: return "token";
  default: return "unknown";
  }
}

std::string session_line(std::string_view session_server_name, const gh_session_info &info,
                         std::string_view login) {
  std::string line = user_session_id_string(session_server_name, info.user_session_id);
  line += " created=";
  line += iso8601_utc(info.created_ms);
  line += " last_access=";
  line += iso8601_utc(info.last_access_ms);
  line += " auth=";
  line += auth_method_name(info.auth_method);
  line += " level=";
  line += std::to_string(info.auth_level);
  line += info.refresh_needed ? " refresh=yes" : " refresh=no";
  line += " user=";
  line += quote(login);
  return line;
}

std::string total_line(std::uint32_t matched, std::uint32_t listed) {
  return "total=" + std::to_string(matched) + " listed=" + std::to_string(listed);
}

} // namespace gh::task
