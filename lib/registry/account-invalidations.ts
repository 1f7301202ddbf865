// account-invalidations.ts -- where an account's invalidation through the
// admin plane is kept when it must hold beyond this host's registry file:
// with the distributed session cache, in Redis (lib/dsc/accounts.ts), so a
// login through any host of the fleet is refused. A registry record's own
// `accountValid` stays the host's setting (`gatehouse user modify`); an
// account is valid only while both allow it.

/** One fleet-wide invalidation: when, through which server, by whom. */
export interface AccountInvalidation {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** The pdadmin server name whose admin plane invalidated it. */
  readonly server: string;
  /** The admin principal that did. */
  readonly by: string;
}

export interface AccountInvalidations {
  /** The account's invalidation, if any. Rejects when the store cannot answer (callers fail closed). */
  get(loginId: string): Promise<AccountInvalidation | undefined>;
  /** Invalidates the account: from its return, no new session of it can be recorded. */
  invalidate(loginId: string, mark: AccountInvalidation): Promise<void>;
  /** Lifts the invalidation; true if there was one. */
  revalidate(loginId: string): Promise<boolean>;
}
