// config.h -- where a context connects: the admin API's base URL, the CA
// bundle to trust and the request timeout, from ivadmin_context_create's
// arguments or, for ivadmin_context_createdefault, from the environment and
// the config file. Every problem comes back as one clear sentence.
#pragma once

#include <string>

namespace gh::ivadmin {

struct Endpoint {
  std::string base_url; // scheme://authority[/prefix], no trailing slash
  std::string ca_file;  // empty = the system's CAs
  long timeout_ms = 10000;
};

constexpr unsigned long kDefaultPort = 7135;
constexpr const char *kDefaultUrl = "https://localhost:7135";
constexpr const char *kDefaultConfigFile = "/etc/gatehouse/ivadmin.conf";

// https://<host>:<port> (host empty = localhost, port 0 = 7135).
bool endpoint_from_host(const char *host, unsigned long port, const char *ca_file, Endpoint &out,
                        std::string &error);

// GATEHOUSE_ADMIN_URL / GATEHOUSE_ADMIN_CA, else the config file
// (GATEHOUSE_IVADMIN_CONF or /etc/gatehouse/ivadmin.conf), else the defaults.
bool endpoint_from_environment(Endpoint &out, std::string &error);

} // namespace gh::ivadmin
