/**
 * Reading the guides the way a reader copies from them: the shell commands of
 * their fenced sh blocks (one per line, `\` continuations joined, comments
 * dropped), and the YAML / .env snippets they show.
 */

export interface GuideCommand {
  /** 1-based line of the command's first line in the Markdown file. */
  line: number;
  text: string;
  /** Where the block says it runs: its first line when that is a comment "# on …" (e.g. "# on your laptop"). */
  where: string | null;
}

export interface GuideBlock {
  lang: string;
  line: number;
  lines: string[];
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'zsh', 'console']);

/** Every fenced block with its language; blocks indented inside list items are un-indented. */
export function fencedBlocks(markdown: string): GuideBlock[] {
  const blocks: GuideBlock[] = [];
  let open: (GuideBlock & { indent: number; fence: string }) | null = null;
  markdown.split('\n').forEach((raw, index) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(raw);
    if (open) {
      if (fence && fence[2]!.startsWith(open.fence) && raw.trim() === fence[2]) {
        blocks.push({ lang: open.lang, line: open.line, lines: open.lines });
        open = null;
      } else {
        open.lines.push(raw.slice(Math.min(open.indent, raw.length - raw.trimStart().length)));
      }
    } else if (fence) {
      open = { lang: fence[3]!.toLowerCase(), line: index + 2, lines: [], indent: fence[1]!.length, fence: fence[2]! };
    }
  });
  return blocks;
}

/** A trailing `# comment` outside quotes removed (a `#` inside a word, like `a#b`, is kept). */
export function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** The commands of every sh block, in document order. */
export function shellCommands(markdown: string): GuideCommand[] {
  const commands: GuideCommand[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (!SHELL_LANGS.has(block.lang)) continue;
    const where = /^#\s*(on .*)$/.exec(block.lines[0]?.trim() ?? '')?.[1] ?? null;
    let pending: GuideCommand | null = null;
    block.lines.forEach((raw, offset) => {
      const text = raw.replace(/^\$ /, '');
      if (pending) {
        pending.text += ` ${text.trim()}`;
      } else {
        if (text.trim() === '' || text.trim().startsWith('#')) return;
        pending = { line: block.line + offset, text: text.trim(), where };
      }
      if (pending.text.endsWith('\\')) {
        pending.text = pending.text.slice(0, -1).trimEnd();
        return;
      }
      pending.text = stripComment(pending.text);
      commands.push(pending);
      pending = null;
    });
    if (pending) commands.push(pending);
  }
  return commands;
}
