// config.cpp -- endpoint resolution (see config.h). The timeout is
// GATEHOUSE_ADMIN_TIMEOUT (seconds) for both kinds of context, else the
// config file's `timeout` for createdefault, else 10 s.
#include "config.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <system_error>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gh::ivadmin {

namespace {

constexpr double kMaxTimeoutSeconds = 3600;
constexpr std::size_t kMaxConfigBytes = 64 * 1024;

std::string trim(const std::string &s) {
  const char *ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

bool has_control_or_space(const std::string &s) {
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Seconds with an optional fraction ("10", "0.5"), read without strtod so
// that the calling program's locale cannot change the meaning.
bool parse_timeout(const std::string &text, const std::string &where, long &ms, std::string &error) {
  const std::string t = trim(text);
  double seconds = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), seconds, std::chars_format::fixed);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size() || !std::isfinite(seconds) || seconds <= 0 ||
      seconds > kMaxTimeoutSeconds) {
    error = where + " is '" + t + "'; expected a number of seconds greater than 0 and at most 3600";
    return false;
  }
  ms = static_cast<long>(std::ceil(seconds * 1000));
  return true;
}

bool check_ca_file(const std::string &path, const std::string &where, std::string &error) {
  std::ifstream f(path);
  if (!f) {
    error = "the CA bundle " + path + " (" + where + ") cannot be read: " + std::strerror(errno);
    return false;
  }
  return true;
}

// Checks an http(s) URL without credentials, query or fragment and strips
// trailing slashes.
bool normalise_url(const std::string &raw, const std::string &where, std::string &out, std::string &error) {
  std::string url = trim(raw);
  std::string lower = url.substr(0, 8);
  for (auto &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t scheme_len = 0;
  if (lower.rfind("https://", 0) == 0) scheme_len = 8;
  else if (lower.rfind("http://", 0) == 0) scheme_len = 7;
  if (scheme_len == 0) {
    error = where + " must be an https:// (or http://) URL";
    return false;
  }
  if (has_control_or_space(url) || url.find_first_of("?#") != std::string::npos) {
    error = where + " must be a plain URL (no spaces, query or fragment)";
    return false;
  }
  const std::size_t slash = url.find('/', scheme_len);
  const std::string authority = url.substr(scheme_len, slash == std::string::npos ? std::string::npos : slash - scheme_len);
  if (authority.empty()) {
    error = where + " has no host";
    return false;
  }
  if (authority.find('@') != std::string::npos) {
    // The URL appears in error messages; it must never carry a password.
    error = where + " must not contain credentials (user@ or user:password@)";
    return false;
  }
  while (url.size() > scheme_len && url.back() == '/') url.pop_back();
  out = url;
  return true;
}

bool timeout_from_env(long &ms, bool &set, std::string &error) {
  set = false;
  const char *t = std::getenv("GATEHOUSE_ADMIN_TIMEOUT");
  if (t == nullptr || *t == '\0') return true;
  set = true;
  return parse_timeout(t, "GATEHOUSE_ADMIN_TIMEOUT", ms, error);
}

struct FileConfig {
  std::string url, ca, timeout;
  bool has_url = false, has_ca = false, has_timeout = false;
};

// Reads `key = value` lines; '#' or ';' starts a comment line. A missing
// default file is no error; a missing file named by GATEHOUSE_IVADMIN_CONF is.
bool read_config_file(FileConfig &cfg, std::string &path, std::string &error) {
  const char *env = std::getenv("GATEHOUSE_IVADMIN_CONF");
  const bool named = env != nullptr && *env != '\0';
  path = named ? env : kDefaultConfigFile;
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (!named && errno == ENOENT) return true;
    error = "the config file " + path + " cannot be read: " + std::strerror(errno);
    return false;
  }
  std::ostringstream buf;
  buf << f.rdbuf();
  const std::string text = buf.str();
  if (text.size() > kMaxConfigBytes) {
    error = "the config file " + path + " is larger than 64 KiB";
    return false;
  }
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    const std::string where = path + ":" + std::to_string(n);
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      error = where + ": expected 'key = value'";
      return false;
    }
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    std::string *slot;
    bool *seen;
    if (key == "url") { slot = &cfg.url; seen = &cfg.has_url; }
    else if (key == "ca") { slot = &cfg.ca; seen = &cfg.has_ca; }
    else if (key == "timeout") { slot = &cfg.timeout; seen = &cfg.has_timeout; }
    else {
      error = where + ": unknown key '" + key + "' (expected url, ca or timeout)";
      return false;
    }
    if (*seen) {
      error = where + ": '" + key + "' is given twice";
      return false;
    }
    if (value.empty()) {
      error = where + ": '" + key + "' has no value";
      return false;
    }
    *slot = value;
    *seen = true;
  }
  return true;
}

} // namespace

bool endpoint_from_host(const char *host, unsigned long port, const char *ca_file, Endpoint &out,
                        std::string &error) {
  std::string h = host != nullptr && *host != '\0' ? host : "localhost";
  if (has_control_or_space(h) || h.find_first_of("/@?#") != std::string::npos) {
    error = "serverhost '" + h + "' is not a host name or address";
    return false;
  }
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]"; // IPv6 literal
  if (port == 0) port = kDefaultPort;
  if (port > 65535) {
    error = "port " + std::to_string(port) + " is out of range (1-65535, 0 = 7135)";
    return false;
  }
  out.base_url = "https://" + h + ":" + std::to_string(port);
  out.ca_file = ca_file != nullptr ? ca_file : "";
  if (!out.ca_file.empty() && !check_ca_file(out.ca_file, "keyringfile", error)) return false;
  bool set;
  return timeout_from_env(out.timeout_ms, set, error);
}

bool endpoint_from_environment(Endpoint &out, std::string &error) {
  FileConfig cfg;
  std::string path;
  if (!read_config_file(cfg, path, error)) return false;

  const char *env_url = std::getenv("GATEHOUSE_ADMIN_URL");
  if (env_url != nullptr && *env_url != '\0') {
    if (!normalise_url(env_url, "GATEHOUSE_ADMIN_URL", out.base_url, error)) return false;
  } else if (cfg.has_url) {
    if (!normalise_url(cfg.url, path + ": url", out.base_url, error)) return false;
  } else {
    out.base_url = kDefaultUrl;
  }

  const char *env_ca = std::getenv("GATEHOUSE_ADMIN_CA");
  if (env_ca != nullptr && *env_ca != '\0') {
    out.ca_file = env_ca;
    if (!check_ca_file(out.ca_file, "GATEHOUSE_ADMIN_CA", error)) return false;
  } else if (cfg.has_ca) {
    out.ca_file = cfg.ca;
    if (!check_ca_file(out.ca_file, path + ": ca", error)) return false;
  } else {
    out.ca_file.clear();
  }

  bool set;
  if (!timeout_from_env(out.timeout_ms, set, error)) return false;
  if (!set && cfg.has_timeout && !parse_timeout(cfg.timeout, path + ": timeout", out.timeout_ms, error)) return false;
  return true;
}

} // namespace gh::ivadmin
