import * as assert from 'node:assert/strict';
import { dayKey, daysBetween, nextDay, startOfDay, validateTimeZone } from '../../src/core/time';

describe('time: local calendar days', () => {
  it('puts an instant on the local day of the zone, not the UTC day', () => {
    const t = Date.parse('2026-11-20T23:30:00Z');
    assert.equal(dayKey(t, 'UTC'), '2026-11-20');
    assert.equal(dayKey(t, 'Europe/Berlin'), '2026-11-21');
    assert.equal(dayKey(t, 'America/Los_Angeles'), '2026-11-20');
    assert.equal(dayKey(t, 'Asia/Kathmandu'), '2026-11-21');
  });

  it('finds the start of a day across a DST change', () => {
    // New York switches to DST at 2026-03-08 02:00 local: that day has 23 hours.
    const start = startOfDay('2026-03-08', 'America/New_York');
    assert.equal(new Date(start).toISOString(), '2026-03-08T05:00:00.000Z');
    const next = startOfDay('2026-03-09', 'America/New_York');
    assert.equal(next - start, 23 * 3_600_000);
  });

  it('handles half-hour zones', () => {
    assert.equal(new Date(startOfDay('2026-11-20', 'Asia/Kolkata')).toISOString(), '2026-11-19T18:30:00.000Z');
  });

  it('lists consecutive days with contiguous bounds', () => {
    const days = daysBetween('2026-12-30', '2027-01-02', 'Europe/Berlin');
    assert.deepEqual(
      days.map((d) => d.day),
      ['2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02'],
    );
    for (let i = 1; i < days.length; i++) assert.equal(days[i].start, days[i - 1].end);
    assert.equal(nextDay('2028-02-28'), '2028-02-29');
  });

  it('rejects unknown zones with a readable message', () => {
    assert.throws(() => validateTimeZone('Mars/Olympus'), /Unknown time zone "Mars\/Olympus"/);
  });
});
