import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { areaPath, barLayout, domainOf, linePath, niceMax, sparkPath, toPoints } from '../../web-admin/src/charts.ts';
import { formatDuration, formatEta, linkWithCode } from '../../web-admin/src/format.ts';
import { retryDelay, RETRY_MAX_MS } from '../../web-admin/src/events-socket.ts';

const box = { width: 100, height: 50, pad: 0 };

describe('chart geometry', () => {
  it('maps a series onto the box: first point left, highest point at the top', () => {
    const points = [
      { x: 0, y: 0 },
      { x: 5, y: 10 },
      { x: 10, y: 5 },
    ];
    assert.equal(linePath(points, box, { x0: 0, x1: 10, yMax: 10 }), 'M0 50L50 0L100 25');
  });

  it('breaks the line where data is missing and keeps lone points visible', () => {
    const points = [
      { x: 0, y: 2 },
      { x: 1, y: 4 },
      { x: 2, y: null },
      { x: 3, y: 4 },
    ];
    assert.equal(linePath(points, box, { x0: 0, x1: 3, yMax: 4 }), 'M0 25L33.3 0M100 0h1');
  });

  it('closes an area down to the baseline', () => {
    assert.equal(areaPath([{ x: 0, y: 1 }, { x: 1, y: 1 }], box, { x0: 0, x1: 1, yMax: 2 }), 'M0 25L100 25L100 50L0 50Z');
  });

  it('picks round axis maxima and survives empty or flat data', () => {
    assert.deepEqual([0, 0.4, 1, 7, 13, 130, 999].map(niceMax), [1, 0.4, 1, 8, 15, 150, 1000]);
    assert.deepEqual(domainOf([[]]), { x0: 0, x1: 1, yMax: 1 });
    assert.deepEqual(domainOf([[{ x: 5, y: 3 }]]), { x0: 5, x1: 6, yMax: 3 });
    assert.equal(linePath([], box, { x0: 0, x1: 1, yMax: 1 }), '');
  });

  it('clamps values above the axis maximum to the top edge', () => {
    assert.equal(linePath([{ x: 0, y: 99 }, { x: 1, y: 0 }], box, { x0: 0, x1: 1, yMax: 10 }), 'M0 0L100 50');
  });

  it('spaces sparkline samples evenly', () => {
    assert.equal(sparkPath([0, 10, 0], box, 10), 'M0 50L50 0L100 50');
  });

  it('lays out one bar per category, scaled to the largest or a given max', () => {
    const bars = barLayout([['user01', 2], ['user02', 4]], { width: 100, height: 40, pad: 0 });
    assert.deepEqual(bars.map((b) => b.width), [50, 100]);
    assert.ok(bars[1]!.y > bars[0]!.y);
    assert.deepEqual(barLayout([['w1', 0.5]], { width: 100, height: 20, pad: 0 }, 1).map((b) => b.width), [50]);
    assert.deepEqual(barLayout([], box), []);
  });

  it('turns ISO samples into sorted points and skips unreadable times', () => {
    const points = toPoints(
      [
        { at: '2026-11-28T10:01:00Z', n: 2 },
        { at: 'garbage', n: 9 },
        { at: '2026-11-28T10:00:00Z', n: 1 },
      ],
      (s) => s.n,
    );
    assert.deepEqual(points.map((p) => p.y), [1, 2]);
  });
});

describe('panel formatting', () => {
  it('durations read like a clock', () => {
    assert.deepEqual([0, 59.6, 65, 3725].map(formatDuration), ['0s', '1m 00s', '1m 05s', '1h 02m']);
  });

  it('an ETA is a range, or honest when there is no history', () => {
    assert.equal(formatEta(null, null), 'no history yet');
    assert.equal(formatEta(30, 90), '30s–1m 30s');
    assert.equal(formatEta(null, 90), '~1m 30s');
  });

  it('a seat link carries its code once, absolute on the panel origin', () => {
    assert.equal(linkWithCode('/user/user01/', 'abc', 'https://ws.example'), 'https://ws.example/user/user01/?code=abc');
    assert.equal(linkWithCode('/user/user01/?code=abc', 'abc', 'https://ws.example'), 'https://ws.example/user/user01/?code=abc');
    assert.equal(linkWithCode('/user/user01/', null, 'https://ws.example'), 'https://ws.example/user/user01/');
  });

  it('reconnect delays double up to a cap, with jitter', () => {
    const mid = () => 0.5;
    assert.deepEqual([0, 1, 2, 3].map((a) => retryDelay(a, mid)), [500, 1000, 2000, 4000]);
    assert.equal(retryDelay(50, mid), RETRY_MAX_MS);
    assert.ok(retryDelay(0, () => 0) >= 400 && retryDelay(0, () => 1) <= 600);
  });
});
