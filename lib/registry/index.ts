// index.ts -- the user registry: the contract, the file registry, password
// hashing and the file helpers the `gatehouse user` command uses.
export type {
  UserRegistry, UserRecord, UserPatch, AuthOutcome, AuthFailure, ConcurrentSessionPolicy,
} from './registry.js';
export type { AccountInvalidation, AccountInvalidations } from './account-invalidations.js';
export { FileRegistry, matchPattern, checkNewUser } from './file-registry.js';
export type { FileRegistryOptions, RegistryLogger, UserDetails, NewUser, UserEdit, UserListing } from './file-registry.js';
export {
  hashPassword, verifyPassword, parsePasswordHash, isPasswordHash, checkPassword, needsRehash, burnVerify,
  DEFAULT_SCRYPT, PASSWORD_MAX_BYTES,
} from './password.js';
export type { ScryptParams, ParsedHash } from './password.js';
export {
  changeUsers, createUserFile, readUserFile, parseUserFile, serializeUsers, writeFileAtomic, withFileLock,
  validatePolicy, defaultDn, ATTRIBUTE_NAME, RegistryError, RegistryFileError, FILE_VERSION, POLICY_MAX,
} from './user-file.js';
export type {
  StoredUser, UserTable, ChangeOptions, ChangeResult, LockOptions, LoadedFile, FileSignature, RegistryErrorCode,
} from './user-file.js';
