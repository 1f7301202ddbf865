// listing.cpp -- list sessions (by user, by pattern) and the dscadmin
// wildcard terminate. The table lists into a caller buffer of fixed size and
// reports how many matched, so these functions size the buffer from that
// count instead of reserving the maximum up front.
#include <algorithm>
#include <unordered_set>
#include <vector>

#include "actions.h"
#include "session_line.h"

namespace gh::task::detail {

namespace {

constexpr std::uint32_t kFirstBatch = 64;
constexpr int kGrowAttempts = 4; // sessions come and go between two scans

// Calls list(buf, n, &returned, &total) with a buffer grown until it holds
// every match or `max` of them. On return `infos` holds the sessions listed.
template <typename List>
gh_status collect(List list, std::uint32_t max, std::vector<gh_session_info> &infos, std::uint32_t &total) {
  std::uint32_t want = std::min(max, kFirstBatch);
  for (int attempt = 0;; ++attempt) {
    infos.resize(want);
    std::uint32_t returned = 0;
    total = 0;
    if (const gh_status s = list(infos.data(), want, &returned, &total)) return s;
    infos.resize(returned);
    if (total <= returned || want >= max || attempt + 1 == kGrowAttempts) return GH_OK;
    // Some headroom for sessions created before the next scan.
    const std::uint64_t next = std::uint64_t(total) + total / 8 + 16;
    want = static_cast<std::uint32_t>(std::min<std::uint64_t>(next, max));
  }
}

// The login ID of a listed session; false if it ended since the listing.
bool read_login(gh_table *t, const gh_session_info &info, std::string &login, gh_status &err) {
  char buf[GH_LOGIN_MAX];
  std::size_t len = 0;
  const gh_status s = gh_session_read(t, info.slot, info.seq, buf, sizeof buf, &len, nullptr, 0, nullptr, nullptr);
  err = (s == GH_OK || s == GH_E_NOT_FOUND) ? GH_OK : s;
  if (s != GH_OK) return false;
  login.assign(buf, len);
  return true;
}

// Appends the lines of `infos` and the summary. `user` is the login ID when
// every session belongs to it (list by user), else nullptr (read each).
void emit(gh_table *t, const ExecContext &ctx, const std::vector<gh_session_info> &infos, std::uint32_t total,
          const std::string *user, const std::string &shown, Response &r) {
  std::uint32_t listed = 0;
  std::string login;
  for (const gh_session_info &info : infos) {
    if (!user) {
      gh_status err = GH_OK;
      if (!read_login(t, info, login, err)) {
        if (err != GH_OK) return add_table_error(r, err);
        continue; // ended since the listing: no longer a session to show
      }
    }
    r.results.push_back(session_line(ctx.session_server_name, info, user ? *user : login));
    ++listed;
  }
  if (listed == 0 && total == 0) {
    if (user) return add(r, Msg::UserHasNoSessions, {shown});
    return add(r, Msg::NoSessionsMatch, {shown});
  }
  if (total > listed) {
    r.results.push_back(total_line(total, listed));
    return add(r, Msg::ListTruncated, {std::to_string(total), std::to_string(listed)});
  }
  add(r, Msg::SessionsListed, {std::to_string(listed)});
}

void bad_text(Response &r, const char *what, const std::string &value) {
  add(r, Msg::BadArgument, {std::string(what) + " " + quote(value), gh_last_error()});
}

} // namespace

void list_user(gh_table *t, const ExecContext &ctx, const std::string &user, Response &r) {
  std::vector<gh_session_info> infos;
  std::uint32_t total = 0;
  // One user's sessions: list them all, up to the largest maximum the
  // grammar allows anywhere.
  const gh_status s = collect(
      [&](gh_session_info *out, std::uint32_t n, std::uint32_t *ret, std::uint32_t *tot) {
        return gh_list_user(t, user.data(), user.size(), ctx.now_ms, out, n, ret, tot);
      },
      kMaxMax, infos, total);
  if (s == GH_E_INVALID_ARGUMENT) return bad_text(r, "<user_id>", user);
  if (s != GH_OK) return add_table_error(r, s);
  emit(t, ctx, infos, total, &user, quote(user), r);
}

void list_pattern(gh_table *t, const ExecContext &ctx, const std::string &pattern, std::uint32_t max, Response &r) {
  std::vector<gh_session_info> infos;
  std::uint32_t total = 0;
  const gh_status s = collect(
      [&](gh_session_info *out, std::uint32_t n, std::uint32_t *ret, std::uint32_t *tot) {
        return gh_list_pattern(t, pattern.data(), pattern.size(), ctx.now_ms, out, n, ret, tot);
      },
      max, infos, total);
  if (s == GH_E_INVALID_ARGUMENT) return bad_text(r, "<pattern>", pattern);
  if (s != GH_OK) return add_table_error(r, s);
  emit(t, ctx, infos, total, nullptr, quote(pattern), r);
}

// dscadmin `session terminate all_sessions <pattern> <replica_set>`: ends
// every session of every login ID that matches. The table ends a user's
// sessions in O(1) by login ID, so we only need the distinct matching login
// IDs: list a batch, terminate the new logins in it, repeat. Each pass ends
// every session the batch showed, so the next pass sees the following ones;
// memory stays at one batch plus the set of logins done.
void terminate_matching(gh_table *t, const ExecContext &ctx, const std::string &pattern, Response &r) {
  std::unordered_set<std::string> done;
  std::vector<gh_session_info> infos;
  std::uint32_t batch = 256, users = 0;
  std::uint64_t sessions = 0;
  std::string login;
  for (;;) {
    infos.resize(batch);
    std::uint32_t returned = 0, total = 0;
    const gh_status s = gh_list_pattern(t, pattern.data(), pattern.size(), ctx.now_ms, infos.data(), batch,
                                        &returned, &total);
    if (s == GH_E_INVALID_ARGUMENT) return bad_text(r, "<user_pattern>", pattern);
    if (s != GH_OK) return add_table_error(r, s);
    bool progress = false;
    for (std::uint32_t i = 0; i < returned; ++i) {
      gh_status err = GH_OK;
      if (!read_login(t, infos[i], login, err)) {
        if (err != GH_OK) return add_table_error(r, err);
        continue;
      }
      if (!done.insert(login).second) continue; // a session created after we ended this user
      progress = true;
      std::uint32_t ended = 0;
      const gh_status e = gh_user_terminate_all(t, login.data(), login.size(), GH_R_ALL_SESSIONS_TERMINATED, &ended);
      if (e != GH_OK) return add_table_error(r, e);
      if (ended == 0) continue; // its sessions ended on their own meanwhile
      ++users;
      sessions += ended;
      r.results.push_back("terminated=" + std::to_string(ended) + " user=" + quote(login));
    }
    if (total <= returned) break; // this pass saw every match
    // A batch made only of logins already done (sessions they opened after
    // we ended them) would hide the rest: widen the window instead.
    if (!progress) {
      if (batch >= total) break;
      batch = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t(batch) * 2, total));
    }
  }
  if (users == 0) return add(r, Msg::NoSessionsMatch, {quote(pattern)});
  add(r, Msg::MatchingUsersTerminated, {std::to_string(sessions), std::to_string(users), quote(pattern)});
}

} // namespace gh::task::detail
