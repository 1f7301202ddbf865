// login-messages.ts -- the login refusals every login path shows, worded as
// the reference words them, so forms and basic authentication say the same.
export const LOGIN_FAILED = 'Authentication failed. You have used an invalid user name or password.';
export const ACCOUNT_INVALID = 'Your account has been disabled. Contact your administrator.';
