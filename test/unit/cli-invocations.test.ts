/**
 * How the documentation and `npm start` tell people to run the CLI: every command in a README or docs/
 * code block runs it as `npx latchkey` or through its launcher (`node …/bin/latchkey-cli.mjs`), never by
 * a bare `latchkey` (not on PATH in a checkout) or `node_modules/.bin/latchkey` (npm never links a
 * package's own bin into its own node_modules); the commands the banner prints run; and the README
 * says how long `npm test` takes.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cliCommands } from '#local/dev';
import { markdownFiles, ROOT, readMarkdown } from '../helpers/markdown';

/** The lines of a page's fenced code blocks (shell, TypeScript, output alike). */
function codeLines(text: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (fenced) lines.push(line);
  }
  return lines;
}

/** The commands of a shell line: split on ; && || | and $( , comments and leading VAR=value removed. */
function commandsOf(line: string): string[] {
  return line
    .replace(/(^|\s)#.*$/, '')
    .split(/;|&&|\|\||\||\$\(/)
    .map((part) => part.trim().replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, ''))
    .filter((part) => part !== '');
}

describe('running the CLI, as documented', () => {
  it.each(markdownFiles())('%s runs it with npx or its launcher', (file) => {
    for (const line of codeLines(readMarkdown(file))) {
      expect(line, `${file}: ${line}`).not.toContain('node_modules/.bin/latchkey');
      for (const command of commandsOf(line)) {
        expect(command.split(/\s+/)[0], `${file}: ${line}`).not.toBe('latchkey');
      }
    }
  });

  it("the banner's commands run, from the checkout and from another folder", () => {
    for (const cwd of [ROOT, tmpdir()]) {
      const { npx, direct } = cliCommands(cwd);
      expect(npx).toBe('npx latchkey');
      const [node, launcher = ''] = direct.split(' ');
      expect(node).toBe('node');
      const version = execFileSync(process.execPath, [launcher, '--version'], { cwd, encoding: 'utf8' });
      expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
    }
    expect(cliCommands(ROOT).direct).toBe('node bin/latchkey-cli.mjs');
  });

  it('the README says how long npm test takes', () => {
    const readme = readMarkdown('README.md');
    const after = readme.slice(readme.indexOf('```bash\nnpm test\n```'));
    expect(after.split('\n## ')[0]).toMatch(/about \d+[–-]\d+ minutes/);
  });
});
