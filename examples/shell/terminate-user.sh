#!/bin/sh
# terminate-user.sh -- ends every session of one user with `gatehouse admin`
# one-shot commands, the way an operator's script would: find the server
# name (`server list --json`), count the user's sessions (`list sessions`
# with --json), run `terminate all_sessions <user>` and print the messages.
#
#   GATEHOUSE_ADMIN_CA=gatehouse-state/admin-tls-cert.pem \
#   GATEHOUSE_ADMIN_USER=sec_master GATEHOUSE_ADMIN_PASSWORD=... \
#   sh examples/shell/terminate-user.sh <user> [server]
#
# Environment:
#   GATEHOUSE_ADMIN_URL, GATEHOUSE_ADMIN_CA   read by `gatehouse admin` itself
#                            (default https://127.0.0.1:7135; the system's CAs)
#   GATEHOUSE_ADMIN_USER     administrator, passed as -a; `gatehouse admin` reads
#                            the password from GATEHOUSE_ADMIN_PASSWORD itself
#   GATEHOUSE_ADMIN_TOKEN    an API token, used when GATEHOUSE_ADMIN_USER is unset
#   GATEHOUSE_CLI            the CLI's main.js (default: this checkout's
#                            dist/lib/cli/main.js; installed: $(npm root -g)/gatehouse/dist/lib/cli/main.js)
# No secret ever goes into argv, where other users could read it (ps).
# The JSON is read with node (the CLI needs it anyway): no jq required.
#
# Exit status: that of the failing `gatehouse admin` command: 0 ok, 1 the
# command failed, 2 usage, 3 authentication or authorization refused.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cli=${GATEHOUSE_CLI:-$here/../../dist/lib/cli/main.js}

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ]; then
  echo "usage: $0 <user> [server]   (credentials: GATEHOUSE_ADMIN_USER + GATEHOUSE_ADMIN_PASSWORD, or GATEHOUSE_ADMIN_TOKEN)" >&2
  exit 2
fi
user=$1

# `gatehouse admin` with the credentials; `--` ends the options, so a user ID
# that starts with - is still a task word.
gh_admin() {
  if [ -n "${GATEHOUSE_ADMIN_USER:-}" ]; then
    node "$cli" admin -a "$GATEHOUSE_ADMIN_USER" "$@"
  else
    node "$cli" admin "$@"
  fi
}

# Prints the value at a dotted path ("servers.0", "results.length") of the
# JSON on stdin, or an empty line when there is none.
json_get() {
  node -e 'let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => {
    let v = JSON.parse(s); for (const k of process.argv[1].split(".")) v = v?.[k];
    console.log(v ?? ""); });' "$1"
}

# `gatehouse admin --json ...`: prints the reply on success; on failure prints
# its messages and error to stderr, as the plain form would, and returns the
# CLI's status.
admin_json() {
  out=$(gh_admin --json -- "$@")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '%s' "$out" | node -e 'let s = ""; process.stdin.on("data", (d) => { s += d; }).on("end", () => {
      let r;
      try { r = JSON.parse(s); } catch { process.stderr.write(s); return; }
      for (const m of r.messages ?? []) console.error(`${m.id} ${m.text}`);
      if (r.error) console.error(`Error: ${r.error.message} (${r.error.code}${r.error.status ? `, HTTP ${r.error.status}` : ""})`); });'
    return "$rc"
  fi
  printf '%s\n' "$out"
}

# 1. The server name, unless given: the first of `server list`.
if [ $# -eq 2 ]; then
  server=$2
else
  servers=$(admin_json server list) || exit $?
  server=$(printf '%s' "$servers" | json_get servers.0) || exit 1
  if [ -z "$server" ]; then echo "Error: the admin API lists no servers" >&2; exit 1; fi
fi

# 2. What is about to end. "$user" is one word; the CLI quotes it for the task
#    grammar when needed ("Mary Jones").
listing=$(admin_json server task "$server" list sessions "$user") || exit $?
count=$(printf '%s' "$listing" | json_get results.length) || exit 1
echo "$user has $count session(s)"

# 3. End them all; the CLI prints the messages (errors on stderr) and its
#    exit status says how it went.
gh_admin -- server task "$server" terminate all_sessions "$user"
