/**
 * `LatchkeyUsageRollUp`: the daily schedule of usage history. The authorizer counts each allowed call
 * in a per-day counter on the key item (`u_<YYYYMMDD>`); once a day, shortly after midnight UTC, an
 * EventBridge rule invokes the management function with `USAGE_ROLL_UP_EVENT`, and the function moves
 * every past day's counter off the key items into usage-history items (`USAGE#<keyId>`), so that a key
 * item keeps at most a day or two of counters and stays under 1 KB. Usage reads merge history and
 * unrolled counters, so answers are exact whether or not the roll-up has run; the schedule only keeps
 * key items small. Only the management function writes usage history (`grantUsageHistory`).
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { USAGE_ROLL_UP_EVENT } from '../core/usage';

export interface LatchkeyUsageRollUpProps {
  /** The function that rolls usage up: latchkey's management function. */
  readonly function: lambda.IFunction;
  /**
   * When the roll-up runs.
   * @default events.Schedule.cron({ minute: '5', hour: '0' }) — 00:05 UTC every day
   */
  readonly schedule?: events.Schedule;
}

/** An EventBridge rule that invokes the management function once a day to roll usage counters up. */
export class LatchkeyUsageRollUp extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: LatchkeyUsageRollUpProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'latchkey: daily roll-up of per-day usage counters into usage history',
      schedule: props.schedule ?? events.Schedule.cron({ minute: '5', hour: '0' }),
      targets: [
        new targets.LambdaFunction(props.function, {
          event: events.RuleTargetInput.fromObject(USAGE_ROLL_UP_EVENT),
          retryAttempts: 2,
        }),
      ],
    });
  }
}
