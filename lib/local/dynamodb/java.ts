/**
 * The Java check DynamoDB Local needs: `java -version` must report 17 or newer. A missing or too old
 * Java is a one-line LocalSetupError saying how to install one. The check runs once per process.
 */
import { errorCode, LocalSetupError } from '../errors';
import { capture, lastLine, onceUntilFailure } from '../exec';

const JAVA_INSTALL_HINT = 'install it (e.g. `apt-get install openjdk-17-jre-headless`) and retry';

/** Resolves when `java` on PATH is Java 17 or newer; else rejects with a LocalSetupError. */
export const checkJava: () => Promise<void> = onceUntilFailure(() => verifyJava());

async function verifyJava(): Promise<void> {
  const { error, stdout, stderr } = await capture('java', ['-version']);
  if (error && errorCode(error) === 'ENOENT') {
    throw new LocalSetupError(`Java 17 or newer is required for DynamoDB Local: ${JAVA_INSTALL_HINT}`);
  }
  const major = parseJavaMajor(`${stderr}\n${stdout}`);
  if (major === undefined) {
    throw new LocalSetupError(
      `Could not determine the Java version (\`java -version\` said: ${lastLine(stderr) || 'nothing'}); Java 17 or newer is required for DynamoDB Local: ${JAVA_INSTALL_HINT}`,
    );
  }
  if (major < 17) {
    throw new LocalSetupError(
      `Java 17 or newer is required for DynamoDB Local (found Java ${major}): ${JAVA_INSTALL_HINT}`,
    );
  }
}

/** `openjdk version "17.0.15"` → 17; `java version "1.8.0_292"` → 8; `openjdk version "21" …` → 21. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}
