// actions.h -- the executor's task implementations (internal to the engine).
// Each appends result lines and catalogue messages to a Response and acts on
// the table through gatehouse.h only. The dispatcher (executor.cpp) has
// already checked the server name, the replica set and the table pointer.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "executor.h"
#include "grammar.h"

namespace gh::task::detail {

void add(Response &r, Msg m, std::initializer_list<std::string_view> args = {});
// TableError with the status name and gh_last_error().
void add_table_error(Response &r, gh_status s);

// pdadmin tasks (actions.cpp). `check_server`: whether a server name embedded
// in a whole user session ID string must be ctx.session_server_name (pdadmin
// addresses one server; dscadmin addresses a replica set and ignores it).
void terminate_session(gh_table *t, const ExecContext &ctx, const Command &c, bool check_server, Response &r);
void terminate_all_sessions(gh_table *t, const std::string &user, Response &r);
void refresh_all_sessions(gh_table *t, const std::string &user, Response &r);
void signout_all_sessions(gh_table *t, Response &r);

// Listings and the wildcard terminate (listing.cpp).
void list_user(gh_table *t, const ExecContext &ctx, const std::string &user, Response &r);
void list_pattern(gh_table *t, const ExecContext &ctx, const std::string &pattern, std::uint32_t max, Response &r);
void terminate_matching(gh_table *t, const ExecContext &ctx, const std::string &pattern, Response &r);

} // namespace gh::task::detail
