// reply.cpp -- reply interpretation (see reply.h).
#include "reply.h"

#include <cstdlib>
#include <cstring>

namespace gh::ivadmin {

unsigned long code_for_status(long status) {
  switch (status) {
  case 401: return IVADMIN_GH_E_AUTH;
  case 403: return IVADMIN_GH_E_DENIED;
  case 404: return IVADMIN_GH_E_NOT_FOUND;
  case 429: return IVADMIN_GH_E_BUSY;
  default: return status >= 400 && status < 500 ? IVADMIN_GH_E_REQUEST : IVADMIN_GH_E_SERVER;
  }
}

void http_failure(const HttpReply &reply, const std::string &url, Outcome &o) {
  std::string text = "HTTP " + std::to_string(reply.status) + " from " + url;
  std::vector<Message> extra;
  Json body;
  std::string ignored;
  if (parse_json(reply.body, body, ignored)) {
    const Json *err = body.get("error");
    const Json *msg = err != nullptr ? err->get("message") : nullptr;
    if (msg != nullptr && msg->type == Json::Type::String && !msg->string.empty()) text = msg->string;
    // Malformed task messages in an error body are dropped: the status and
    // the error message above already say what went wrong.
    if (!read_messages(body.get("messages"), extra, ignored)) extra.clear();
  }
  // The server's own code (e.g. GHWAA0067E's 0x47410067) names the failure
  // best; without one, the status's IVADMIN_GH_E_* code.
  const unsigned long code = extra.empty() ? code_for_status(reply.status) : extra.front().code;
  o.ok = IVADMIN_FALSE;
  o.messages.clear();
  o.messages.push_back(Message{text, code, IVADMIN_RESPONSE_ERROR});
  for (auto &m : extra) {
    if (text.find(m.text) == std::string::npos) o.messages.push_back(std::move(m)); // no repeats of the error text
  }
}

bool parse_body(const HttpReply &reply, const std::string &url, Json &out, Outcome &o) {
  std::string error;
  if (!parse_json(reply.body, out, error)) {
    o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " is not valid JSON: " + error);
    return false;
  }
  if (out.type != Json::Type::Object) {
    o.fail(IVADMIN_GH_E_PROTOCOL, "the reply from " + url + " is not a JSON object");
    return false;
  }
  return true;
}

bool read_messages(const Json *arr, std::vector<Message> &out, std::string &error) {
  out.clear();
  if (arr == nullptr) return true; // optional everywhere it appears
  if (arr->type != Json::Type::Array) { error = "'messages' is not an array"; return false; }
  for (std::size_t i = 0; i < arr->items.size(); ++i) {
    const Json &m = arr->items[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    const Json *text = m.get("text"), *code = m.get("code"), *sev = m.get("severity"), *id = m.get("id");
    if (text == nullptr || text->type != Json::Type::String) { error = where + ".text is not a string"; return false; }
    if (id == nullptr || id->type != Json::Type::String) { error = where + ".id is not a string"; return false; }
    if (code == nullptr || code->type != Json::Type::Number || !code->integral || code->integer < 0 ||
        code->integer > 0xffffffffLL) {
      error = where + ".code is not an integer in 0..0xffffffff";
      return false;
    }
    unsigned long modifier;
    if (sev == nullptr || sev->type != Json::Type::String) { error = where + ".severity is not a string"; return false; }
    if (sev->string == "info") modifier = IVADMIN_RESPONSE_INFO;
    else if (sev->string == "warning") modifier = IVADMIN_RESPONSE_WARNING;
    else if (sev->string == "error") modifier = IVADMIN_RESPONSE_ERROR;
    else { error = where + ".severity is '" + sev->string + "'"; return false; }
    out.push_back(Message{text->string, static_cast<unsigned long>(code->integer), modifier});
  }
  return true;
}

bool read_strings(const Json *arr, std::vector<std::string> &out) {
  out.clear();
  if (arr == nullptr || arr->type != Json::Type::Array) return false;
  for (const Json &item : arr->items) {
    if (item.type != Json::Type::String) return false;
    out.push_back(item.string);
  }
  return true;
}

bool to_c_array(const std::vector<std::string> &lines, char ***out, unsigned long *count) {
  *out = nullptr;
  *count = 0;
  if (lines.empty()) return true;
  auto **arr = static_cast<char **>(std::calloc(lines.size(), sizeof(char *)));
  if (arr == nullptr) return false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    arr[i] = static_cast<char *>(std::malloc(lines[i].size() + 1));
    if (arr[i] == nullptr) {
      for (std::size_t k = 0; k < i; ++k) std::free(arr[k]);
      std::free(arr);
      return false;
    }
    std::memcpy(arr[i], lines[i].c_str(), lines[i].size() + 1);
  }
  *out = arr;
  *count = static_cast<unsigned long>(lines.size());
  return true;
}

} // namespace gh::ivadmin
