/**
 * Obtaining AWS's DynamoDB Local: its jar ships inside the npm package `amplify-dynamodb-simulator`,
 * which is fetched once with `npm pack`, checked against a pinned integrity hash, and unpacked (only its
 * `emulator/` folder) into a cache under node_modules, or into LATCHKEY_DYNAMODB_LOCAL_DIR.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCode, LocalSetupError } from '../errors';
import { onceUntilFailure, run } from '../exec';

const PACKAGE_SPEC = 'amplify-dynamodb-simulator@2.9.30';
const PACKAGE_INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
const CACHE_NAME = 'dynamodb-local-2.9.30';
/** The jar and its native-library folder, inside the folder ensureDynamoDbLocal returns. */
export const JAR = 'DynamoDBLocal.jar';
export const LIB_DIR = 'DynamoDBLocal_lib';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** Returns the folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, downloading it on first use. */
export const ensureDynamoDbLocal: () => Promise<string> = onceUntilFailure(() => obtainDynamoDbLocal());

function cacheDir(): string {
  const override = process.env.LATCHKEY_DYNAMODB_LOCAL_DIR;
  if (override) return resolve(override);
  return join(repoRoot, 'node_modules', '.cache', 'latchkey', CACHE_NAME);
}

async function obtainDynamoDbLocal(): Promise<string> {
  const target = cacheDir();
  if (existsSync(join(target, JAR))) return target;

  const parent = resolve(target, '..');
  await mkdir(parent, { recursive: true });
  const downloadDir = await mkdtemp(join(tmpdir(), 'latchkey-ddb-'));
  // Extract next to the target (same filesystem) so the final rename is atomic.
  const staging = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const progress = downloadProgress();
  try {
    const tarball = await npmPack(downloadDir).finally(progress.stop);
    const actual = await sha512Integrity(tarball);
    if (actual !== PACKAGE_INTEGRITY) {
      throw new LocalSetupError(
        `DynamoDB Local download (${PACKAGE_SPEC}) failed its integrity check (expected ${PACKAGE_INTEGRITY}, got ${actual}): refusing to use it`,
      );
    }
    process.stderr.write('latchkey: extracting DynamoDB Local…\n');
    await mkdir(staging);
    await run('tar', ['-xzf', tarball, '-C', staging, '--strip-components=2', 'package/emulator'], {
      what: 'extracting DynamoDB Local with tar',
    });
    if (!existsSync(join(staging, JAR)) || !existsSync(join(staging, LIB_DIR))) {
      throw new LocalSetupError(
        `${PACKAGE_SPEC} does not contain emulator/${JAR}: cannot run DynamoDB Local`,
      );
    }
    try {
      await rename(staging, target);
    } catch (err) {
      // Another process won the race: use its copy.
      if (!existsSync(join(target, JAR))) {
        throw new LocalSetupError(
          `Could not install DynamoDB Local into ${target} (${errorCode(err)}): delete that folder and retry`,
        );
      }
    }
    return target;
  } finally {
    await rm(downloadDir, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * The first download (about 57 MB through `npm pack`, which prints nothing useful) says what it is doing
 * and how long it has been at it, on stderr, so `npm start` is not seconds of silence.
 */
function downloadProgress(): { stop: () => void } {
  const started = Date.now();
  const out = (line: string) => process.stderr.write(line);
  out(`latchkey: downloading DynamoDB Local once (${PACKAGE_SPEC}, about 57 MB) into ${cacheDir()}\n`);
  const tty = process.stderr.isTTY === true;
  const timer = setInterval(
    () => {
      const seconds = Math.round((Date.now() - started) / 1000);
      out(tty ? `\rlatchkey: downloading… ${seconds} s` : `latchkey: downloading… ${seconds} s\n`);
    },
    tty ? 1000 : 5000,
  );
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      out(`${tty ? '\r' : ''}latchkey: downloaded DynamoDB Local in ${seconds} s\n`);
    },
  };
}

async function npmPack(destination: string): Promise<string> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['pack', PACKAGE_SPEC, '--pack-destination', destination, '--silent'], {
    what: `downloading DynamoDB Local (npm pack ${PACKAGE_SPEC})`,
    cwd: repoRoot,
    shell: process.platform === 'win32',
  });
  const tarballs = (await readdir(destination)).filter((f) => f.endsWith('.tgz'));
  const tarball = tarballs[0];
  if (tarballs.length !== 1 || !tarball) {
    throw new LocalSetupError(`npm pack ${PACKAGE_SPEC} produced no tarball: check npm and retry`);
  }
  return join(destination, tarball);
}

async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}
