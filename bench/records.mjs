// Synthetic requests shaped like real sessions, shared by the store and push benchmarks.
export const MODELS = ['claude-opus-4-5-20251101', 'claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001', 'gpt-5-codex'];
// Shaped like real transcripts: a session (250 requests, about two hours) belongs to one project
// and mostly one model; one request in seven is a subagent's, one in ten uses a second model.
export function record(i) {
  const session = Math.floor(i / 250);
  const msg = `msg_01${((i * 2654435761) >>> 0).toString(36).padStart(8, '0')}${i.toString(36)}`;
  return {
    dedupKey: `m:${msg}:req_011C${i.toString(36).padStart(10, '0')}`,
    messageId: msg,
    timestamp: Date.UTC(2026, 0, 1) + i * 30_000,
    source: i % 7 === 0 ? 'claude-code-subagent' : 'claude-code',
    model: MODELS[(session + (i % 10 === 0 ? 1 : 0)) % 4],
    project: `/home/me/project-${session % 40}`,
    sessionId: `session-${session.toString(16).padStart(8, '0')}`,
    inputTokens: 10 + (i % 5000),
    outputTokens: 100 + (i % 9000),
    cacheWriteTokens: i % 3 ? 0 : 2000 + (i % 700),
    cacheWrite1hTokens: 0,
    cacheReadTokens: 20_000 + (i % 100_000),
    reportedCost: null,
    cost: ((i % 1000) + 1) / 10_000,
    unpriced: false,
    isSidechain: i % 7 === 0,
  };
}
