/**
 * Short model names for cards and charts, as Mission Control's Token & Cost Dashboard shows them
 * (`anthropic/claude-sonnet-4-20250514` is `sonnet-4`). Tables, tooltips and filters keep the
 * exact id: two ids that shorten alike stay apart there.
 */

// A date stamp at the end of an id: -20250514, -2024-08-06, or Vertex's @20250514.
const DATE_SUFFIX = /(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2})$/;
// Bedrock's region and vendor prefix (us.anthropic.) and its version suffix (-v1:0).
const BEDROCK_PREFIX = /^(?:[a-z]{2}\.)?(?:anthropic|openai|meta|mistral|amazon|cohere|deepseek)\./;
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/;
// Claude 3's order, claude-3-5-sonnet, is turned into the newer one, sonnet-3-5.
const OLD_CLAUDE = /^(\d+(?:[-.]\d+)?)-(opus|sonnet|haiku|instant)(?=$|-)/;

/**
 * The name a person reads: no provider path, vendor prefix, `claude-` or date stamp; a fast-mode
 * id (`claude-opus-4-8-fast`) reads `opus-4-8 fast`. An id with nothing to shorten is returned as is.
 */
export function displayModelName(model: string): string {
  let m = model.trim();
  const slash = m.lastIndexOf('/');
  if (slash >= 0 && slash < m.length - 1) m = m.slice(slash + 1);
  m = m.replace(BEDROCK_PREFIX, '').replace(BEDROCK_VERSION, '');
  let fast = false;
  if (/-fast$/i.test(m)) {
    fast = true;
    m = m.slice(0, -'-fast'.length);
  }
  m = m.replace(DATE_SUFFIX, '');
  if (/^claude-./i.test(m)) m = m.slice('claude-'.length).replace(OLD_CLAUDE, '$2-$1');
  if (!m) return model;
  return fast ? `${m} fast` : m;
}

/**
 * Display names for the models one page shows: the short name, except where two ids of the
 * page would shorten to the same name (those keep their exact ids, so no chart shows two bars
 * under one label).
 */
export function displayNames(models: readonly string[]): Map<string, string> {
  const short = new Map(models.map((m) => [m, displayModelName(m)]));
  const count = new Map<string, number>();
  for (const name of short.values()) count.set(name, (count.get(name) ?? 0) + 1);
  return new Map([...short].map(([id, name]) => [id, (count.get(name) ?? 0) > 1 ? id : name]));
}
