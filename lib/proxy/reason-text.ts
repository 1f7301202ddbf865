// reason-text.ts -- the sentence a login page shows when a browser comes back
// with a session cookie that no longer works (the %OLDSESSION_REASON% macro).
// The machine value stays available as %OLDSESSION_REASON_CODE%.
import type { InvalidReason } from '../session/reasons.js';

// A Record over the union: adding a reason without a sentence fails to compile.
const TEXT: Readonly<Record<InvalidReason, string>> = Object.freeze({
  terminated: 'Your session was ended by an administrator. Please log in again.',
  all_sessions_terminated: 'All your sessions were ended by an administrator. Please log in again.',
  signed_out_everywhere: 'Everyone was signed out by an administrator, so your session ended. Please log in again.',
  expired: 'Your session reached its maximum lifetime and has ended. Please log in again.',
  inactive: 'Your session ended because it was inactive for too long. Please log in again.',
  displaced: 'Your session ended because you logged in from another browser or device.',
  logged_out: 'You logged out. Log in again to continue.',
  evicted: "Your session ended because the server's session cache was full. Please log in again.",
  // A cookie the table never issued (or whose slot was reused): nothing useful to say.
  unknown: '',
});

/** Human text for each InvalidReason; '' for `unknown` (the page then shows no notice). */
export function reasonText(reason: InvalidReason): string {
  return Object.hasOwn(TEXT, reason) ? TEXT[reason] : '';
}
