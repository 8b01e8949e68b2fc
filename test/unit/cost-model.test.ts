/**
 * The bench's cost model (test/bench/cost.ts): API Gateway's price per mode — REST per request, HTTP
 * per started 512 KB — and the rest of a path's cost the same in both modes.
 */
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '#core/validation';
import { costPerMillion, gatewayPerMillion, PRICES } from '../bench/cost';

const PATH = { durationsMs: [4.2, 5.1, 6.3], cpuUs: 40, wru: 1, rru: 0 };

describe('API Gateway in the cost model', () => {
  it('charges a REST API $3.50 and an HTTP API $1.00 per million requests of latchkey size', () => {
    expect(gatewayPerMillion('rest')).toBe(3.5);
    expect(gatewayPerMillion('http')).toBe(1);
    expect(MAX_BODY_BYTES).toBeLessThan(PRICES.http_api_metering_increment_bytes);
  });

  it('meters HTTP API requests in 512 KB increments', () => {
    expect(gatewayPerMillion('http', 512 * 1024)).toBe(1);
    expect(gatewayPerMillion('http', 512 * 1024 + 1)).toBe(2);
    expect(gatewayPerMillion('http', 600 * 1024)).toBe(2);
    expect(gatewayPerMillion('http', 0)).toBe(1);
    expect(gatewayPerMillion('rest', 600 * 1024)).toBe(3.5);
  });

  it('the two modes differ by the gateway price alone', () => {
    const rest = costPerMillion(PATH, 512, 'rest');
    const http = costPerMillion(PATH, 512, 'http');
    expect(rest.api_gateway).toBe(3.5);
    expect(http.api_gateway).toBe(1);
    expect({ ...http, total: 0, api_gateway: 0 }).toEqual({ ...rest, total: 0, api_gateway: 0 });
    expect(rest.total - http.total).toBeCloseTo(2.5, 6);
    expect(costPerMillion(PATH, 512)).toEqual(rest);
  });
});
