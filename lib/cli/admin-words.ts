// admin-words.ts -- splitting a `gatehouse admin` shell line into words with
// the task grammar's quoting rules (docs/tasks.md, "Quoting and escaping"),
// and joining command-line words back into a task string. The shell only
// needs the words to recognise its own commands; task text itself is sent
// verbatim and the server's parser judges it.
import { token } from '../tasks/quote.js';

export interface Word {
  /** The word, quotes removed and escapes undone. */
  readonly text: string;
  /** Offset of its first character in the line (the opening quote, if quoted). */
  readonly start: number;
  /** True when the word was quoted (then it is never a keyword). */
  readonly quoted: boolean;
}

export type SplitResult = { ok: true; words: Word[] } | { ok: false; error: string };

const BLANK = /[ \t]/;

export function splitWords(line: string): SplitResult {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    if (BLANK.test(line[i]!)) { i++; continue; }
    const start = i;
    if (line[i] === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= line.length) return { ok: false, error: `unbalanced quotes: the quote at offset ${start} is never closed` };
        const c = line[i]!;
        if (c === '"') { i++; break; }
        if (c === '\\') {
          const n = line[i + 1];
          if (n !== '"' && n !== '\\') return { ok: false, error: `bad escape at offset ${i}: inside quotes write \\" or \\\\` };
          text += n;
          i += 2;
          continue;
        }
        text += c;
        i++;
      }
      if (i < line.length && !BLANK.test(line[i]!)) return { ok: false, error: `a closing quote must be followed by a space (offset ${i})` };
      words.push({ text, start, quoted: true });
    } else {
      while (i < line.length && !BLANK.test(line[i]!)) {
        if (line[i] === '"') return { ok: false, error: `misplaced quote at offset ${i}: quote the whole word` };
        i++;
      }
      words.push({ text: line.slice(start, i), start, quoted: false });
    }
  }
  return { ok: true, words };
}

/**
 * A task string from command-line words, each already unquoted by the shell:
 * `terminate all_sessions "Mary Jones"` arrives as three words and goes out
 * with the last one quoted again. A single word is taken as the whole task
 * (`server task X 'terminate all_sessions bob'`).
 */
export function argvToTask(words: readonly string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => token(w, false)).join(' ');
}

/** Keyword comparison: ASCII case-insensitive and never a quoted word, as in the grammar. */
export function isWord(w: Word | undefined, keyword: string): boolean {
  return w !== undefined && !w.quoted && w.text.toLowerCase() === keyword;
}
