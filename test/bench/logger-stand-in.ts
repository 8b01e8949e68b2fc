/**
 * A stand-in for `@aws-lambda-powertools/logger` in one cold-start variant only: the same calls, one
 * JSON line each, nothing else (no log levels, sampling or Lambda context). It measures what loading
 * Powertools' logger costs a cold start; it is not a replacement.
 */
export class Logger {
  private readonly service: string;

  constructor(options: { serviceName: string }) {
    this.service = options.serviceName;
  }

  private write(level: string, message: string, extra: object = {}): void {
    const line = { level, message, service: this.service, timestamp: new Date().toISOString(), ...extra };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }

  info(message: string, extra?: object): void {
    this.write('INFO', message, extra);
  }

  warn(message: string, extra?: object): void {
    this.write('WARN', message, extra);
  }

  error(message: string, extra?: object): void {
    this.write('ERROR', message, extra);
  }
}
