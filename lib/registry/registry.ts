// registry.ts -- the user registry contract. The proxy's login paths, the
// `refresh all_sessions` reload and the admin plane's password check all go
// through this interface; the file registry is the embedded default.

/** `max-concurrent-web-sessions` as the reference's `policy set` takes it. */
export type ConcurrentSessionPolicy = 'unset' | 'unlimited' | 'displace' | number;

export interface UserRecord {
  /** Login ID (short name; `iv-user`). */
  readonly id: string;
  /** Distinguished name (long form; `iv-user-l`). */
  readonly dn: string;
  readonly groups: readonly string[];
  /** `account-valid`: an invalid account is refused by every login path. */
  readonly accountValid: boolean;
  /** Per-user `max-concurrent-web-sessions`; 'unset' defers to the global policy. */
  readonly maxConcurrentWebSessions: ConcurrentSessionPolicy;
  /** Extra credential attributes (names as the reference's credattr{...}). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface UserPatch {
  readonly accountValid?: boolean;
  readonly groups?: readonly string[];
  readonly maxConcurrentWebSessions?: ConcurrentSessionPolicy;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly dn?: string;
}

export type AuthFailure = 'unknown_user' | 'bad_password' | 'account_invalid';

export type AuthOutcome =
  | { readonly ok: true; readonly user: UserRecord }
  | { readonly ok: false; readonly reason: AuthFailure };

export interface UserRegistry {
  /**
   * Checks a password. Runs in constant time with respect to whether the
   * user exists (a dummy hash is checked for unknown users). An invalid
   * account is reported as `account_invalid` only after the password matched.
   */
  authenticate(id: string, password: string): Promise<AuthOutcome>;
  /** The current record, or undefined. Cheap: served from memory. */
  lookup(id: string): UserRecord | undefined;
  /**
   * Changes a user and persists the change (atomically, for the file
   * registry). Used by account invalidation in the admin plane. Rejects with
   * a clear error when the user does not exist.
   */
  update(id: string, patch: UserPatch): Promise<UserRecord>;
  /** Stops watching the backing store. */
  close(): void;
}
