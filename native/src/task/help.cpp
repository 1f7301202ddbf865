// help.cpp -- task descriptions for `help`, and the task list. The syntax
// lines come from grammar.h's syntax(), so help can never disagree with the
// parser about how a task is spelled.
#include "help.h"

#include <iterator>

#include "executor.h"
#include "grammar.h"

namespace gh::task {

namespace {

struct TaskDoc {
  Kind kind;
  const char *description;
  const char *example;
};

// In the order of the task list. The pdadmin tasks come first, as in the
// reference product's list; then the Gatehouse extensions; then dscadmin.
const TaskDoc kDocs[] = {
    {Kind::TerminateSession,
     "Terminates one session, named by its user session ID or by the whole user session ID string "
     "base64(server-name)_<id>, whose server name must be this server's.",
     "terminate session Xk3vQ9aLp2mT7rYw1bNc0A"},
    {Kind::TerminateAllSessions,
     "Terminates every session of the user. The login ID is exact and case-sensitive; quote IDs that contain "
     "spaces or quotes (\\\" inside quotes is a quote, \\\\ a backslash).",
     "terminate all_sessions \"Mary Jones\""},
    {Kind::RefreshAllSessions,
     "Marks every session of the user so that its credential is refreshed on its next request.",
     "refresh all_sessions dlucas"},
    {Kind::Help, "Lists the tasks, or describes the tasks whose names begin with the given words.",
     "help terminate"},
    {Kind::SignoutAllSessions,
     "Gatehouse extension: signs out every active session of every user of this server at once.",
     "signout all_sessions"},
    {Kind::ListSessions,
     "Gatehouse extension: lists the active sessions of the user, one line each: user session ID string, "
     "created, last access, authentication method and level, refresh flag, user.",
     "list sessions dlucas"},
    {Kind::ListSessionsPattern,
     "Gatehouse extension: lists active sessions whose login ID matches the pattern (* matches any run of "
     "characters; ASCII letters match without regard to case), at most maximum_return (default 100); when more "
     "match, a last line gives the number matched.",
     "list sessions pattern *ons* 100"},
    {Kind::DscTerminateSession,
     "dscadmin: terminates a session within the replica set (this server's only).",
     "session terminate session Xk3vQ9aLp2mT7rYw1bNc0A default"},
    {Kind::DscTerminateAllSessions,
     "dscadmin: terminates every session of every user whose login ID matches the pattern (* wildcard, ASCII "
     "case-insensitive) within the replica set; one result line per user.",
     "session terminate all_sessions sec_m* default"},
    {Kind::DscSessionList,
     "dscadmin: lists sessions whose login ID matches the pattern within the replica set, at most "
     "maximum_return; when more match, a last line gives the number matched.",
     "session list *ons* 100 default"},
    {Kind::ReplicaSetList, "dscadmin: lists the replica sets (this server belongs to one).", "replica set list"},
    {Kind::ReplicaSetShow, "dscadmin: lists the replicas (servers) in the replica set.",
     "replica set show default"},
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// The keywords of a syntax line: its words up to the first <argument> or
// [optional part].
std::vector<std::string_view> keywords(std::string_view syntax_line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < syntax_line.size()) {
    std::size_t j = syntax_line.find(' ', i);
    if (j == std::string_view::npos) j = syntax_line.size();
    const std::string_view w = syntax_line.substr(i, j - i);
    if (w.empty() || w[0] == '<' || w[0] == '[') break;
    out.push_back(w);
    i = j + 1;
  }
  return out;
}

bool matches(const TaskDoc &d, const std::vector<std::string> &words) {
  if (words.size() == 1 && iequals(words[0], kind_name(d.kind))) return true;
  const std::vector<std::string_view> kw = keywords(syntax(d.kind));
  if (words.size() > kw.size()) return false;
  for (std::size_t i = 0; i < words.size(); ++i)
    if (!iequals(words[i], kw[i])) return false;
  return true;
}

} // namespace

std::vector<std::string> task_list() {
  std::vector<std::string> out;
  out.reserve(std::size(kDocs));
  for (const TaskDoc &d : kDocs) out.emplace_back(syntax(d.kind));
  return out;
}

HelpText describe(const std::vector<std::string> &words) {
  HelpText h;
  for (const TaskDoc &d : kDocs) {
    if (!matches(d, words)) continue;
    ++h.tasks;
    h.lines.emplace_back("Command:");
    h.lines.emplace_back(syntax(d.kind));
    h.lines.emplace_back("Description:");
    h.lines.emplace_back(d.description);
    h.lines.emplace_back("Example:");
    h.lines.emplace_back(d.example);
  }
  return h;
}

} // namespace gh::task
