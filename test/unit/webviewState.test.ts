import * as assert from 'node:assert/strict';
import { DEFAULT_FILTER, type DashboardFilter } from '../../src/protocol';
import { HostConnection, type VsCodeApi } from '../../webview/host';
import { customRangeError, PageState, savedFilter, withField, withRange } from '../../webview/state';

// The page's state and its messaging run without a DOM: filters are pure functions, the host a fake API.
describe('webview state and host messaging (no DOM)', () => {
  const base: DashboardFilter = { range: { kind: 'preset', preset: 'last7' }, provider: 'Anthropic', model: 'claude-opus-4-5' };

  it('a provider choice clears the model chosen before; other fields keep the rest; "" means all', () => {
    assert.deepEqual(withField(base, 'provider', 'OpenAI'), { range: base.range, provider: 'OpenAI', model: undefined });
    assert.deepEqual(withField(base, 'project', '/work/app'), { ...base, project: '/work/app' });
    assert.deepEqual(withField(base, 'model', ''), { ...base, model: undefined });
    assert.deepEqual(withRange(base, { kind: 'quick', quick: 'hour' }).range, { kind: 'quick', quick: 'hour' });
  });

  it('keeps a saved filter only when the host would accept it', () => {
    assert.deepEqual(savedFilter({ filter: base }), base);
    assert.deepEqual(savedFilter(undefined), DEFAULT_FILTER);
    assert.deepEqual(savedFilter({ filter: { range: { kind: 'preset', preset: 'forever' } } }), DEFAULT_FILTER);
  });

  it('a custom range needs both days, in order', () => {
    assert.equal(customRangeError('2026-11-01', ''), 'Choose both dates.');
    assert.equal(customRangeError('2026-11-05', '2026-11-01'), 'Until is before From.');
    assert.equal(customRangeError('2026-11-01', '2026-11-01'), undefined);
  });

  it('saves the filter it is given and reads the zone from the figures', () => {
    const saved: unknown[] = [];
    const s = new PageState(DEFAULT_FILTER, (x) => saved.push(x));
    assert.equal(s.timeZone, 'UTC');
    s.setFilter(base);
    assert.deepEqual(saved, [{ filter: base }]);
  });

  function fake() {
    const posted: any[] = [];
    const api: VsCodeApi = { postMessage: (m) => posted.push(m), getState: () => undefined, setState: () => {} };
    const seen: string[] = [];
    const host = new HostConnection(api, {
      data: (d) => seen.push(`data ${d.kpis.cost}`),
      sidebar: (d) => seen.push(`sidebar ${d.kpis.cost}`),
      error: (m) => seen.push(`error ${m}`),
      refreshed: () => seen.push('refreshed'),
      asked: () => seen.push('asked'),
    });
    return { host, posted, seen };
  }
  const data = (cost: number) => ({ kpis: { cost } }) as any;

  it('numbers its queries and drops an answer to an older one once a newer is on its way', () => {
    const { host, posted, seen } = fake();
    host.query(base);
    host.query(DEFAULT_FILTER);
    assert.deepEqual(
      posted.map((m) => [m.type, m.requestId]),
      [
        ['query', 1],
        ['query', 2],
      ],
    );
    host.receive({ type: 'data', data: data(1), requestId: 1 });
    host.receive({ type: 'data', data: data(2), requestId: 2 });
    host.receive({ type: 'data', data: data(3) }); // a push after a change: always drawn
    host.receive({ type: 'sidebar', data: data(4), requestId: 2 });
    assert.deepEqual(seen, ['asked', 'asked', 'data 2', 'data 3', 'sidebar 4']);
  });

  it('one refresh at a time; its answer (data or error) settles it', () => {
    const { host, posted, seen } = fake();
    assert.equal(host.refresh(), true);
    assert.equal(host.refresh(), false, 'a second click while one is on its way sends nothing');
    assert.equal(host.refreshing, true);
    host.receive({ type: 'error', message: 'disk full', requestId: 1 });
    assert.equal(host.refreshing, false);
    assert.deepEqual(seen, ['refreshed', 'error disk full']);
    assert.deepEqual(posted, [{ type: 'refresh', requestId: 1 }]);
  });
});
