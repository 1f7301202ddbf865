// reply.h -- reading the admin API's replies: the error body of a non-200
// status, task messages, string arrays, and handing result lines to C as
// malloc'd arrays.
#pragma once

#include <string>
#include <vector>

#include "http.h"
#include "json.h"
#include "outcome.h"

namespace gh::ivadmin {

// The message code for an HTTP status (IVADMIN_GH_E_AUTH for 401, ...).
unsigned long code_for_status(long status);

// Fills `o` for a non-200 reply: first the server's error.message (or
// "HTTP <status> from <url>") as an error whose code is that of the body's
// first message, else code_for_status; then the body's messages whose text
// the error message does not already contain.
void http_failure(const HttpReply &reply, const std::string &url, Outcome &o);

// Parses the body as a JSON object; on failure fills `o` with a protocol
// error naming the URL.
bool parse_body(const HttpReply &reply, const std::string &url, Json &out, Outcome &o);

// [{"id","code","severity","text"}, ...] -> messages. False (with `error`)
// if anything is missing or of the wrong type.
bool read_messages(const Json *arr, std::vector<Message> &out, std::string &error);

// An array of strings -> strings. False if `arr` is not one.
bool read_strings(const Json *arr, std::vector<std::string> &out);

// Copies `lines` into a malloc'd array of malloc'd strings (NULL when
// empty). False if memory ran out (nothing is left allocated).
bool to_c_array(const std::vector<std::string> &lines, char ***out, unsigned long *count);

} // namespace gh::ivadmin
