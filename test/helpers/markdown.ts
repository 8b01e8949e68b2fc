/**
 * The repository's Markdown as tests read it: the README and `docs/*.md`, a fenced block by its info
 * string, the relative links of a page and the anchors its headings get on GitHub. Tests that hold the
 * documentation to the code (settings tables, the walkthroughs run verbatim, links that resolve) read
 * the pages through here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('../..', import.meta.url).pathname;

/** The README and every page of `docs/`, as paths relative to the repository root. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** A Markdown file of the repository, by its path from the root (`docs/deploy.md`). */
export function readMarkdown(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The body of the fenced block whose info string is exactly `info` (`bash walkthrough`), as written. */
export function fencedBlock(path: string, info: string): string {
  const text = readMarkdown(path);
  const escaped = info.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const block = new RegExp(`^\`\`\`${escaped}\\n([\\s\\S]*?)^\`\`\``, 'm').exec(text)?.[1];
  if (block === undefined) throw new Error(`${path} has no \`\`\`${info} block`);
  return block;
}

/** The lines outside fenced code blocks, with their 1-based line numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fenced = false;
  text.split('\n').forEach((raw, i) => {
    if (raw.startsWith('```')) {
      fenced = !fenced;
      return;
    }
    if (!fenced) out.push({ line: i + 1, text: raw });
  });
  return out;
}

export interface MarkdownLink {
  line: number;
  /** The target as written: `docs/deploy.md#outputs`, `#walkthrough`, `https://…`. */
  target: string;
}

/** Every inline link and image of a page (`[text](target)`, `![alt](target)`), outside code. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { line, text: prose } of proseLines(text)) {
    // A link written inside inline code is an example, not a link.
    for (const match of prose.replace(/`[^`]*`/g, '').matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      links.push({ line, target: match[1] ?? '' });
    }
  }
  return links;
}

/** A link to another site (or an e-mail address) rather than to a file of the repository. */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/**
 * The anchor GitHub gives a heading: its text lower-cased, markup and punctuation other than `-` and `_`
 * dropped, each space a `-`; a repeated anchor gets `-1`, `-2`, … (as github-slugger does).
 */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text: prose } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(prose)?.[1];
    if (heading === undefined) continue;
    // The anchor is made from the rendered text: inline code keeps its text, a link its label.
    const rendered = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = rendered
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}
