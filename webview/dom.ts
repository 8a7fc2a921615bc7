/** Creates an element; children are appended as text nodes, never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | undefined>,
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K];
export function el(
  tag: string,
  attrs?: Record<string, string | undefined>,
  ...children: (Node | string | null | undefined | false)[]
): HTMLElement;
export function el(
  tag: string,
  attrs: Record<string, string | undefined> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) node.setAttribute(k, v);
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/** A card section with a heading; `body` holds its content. */
export function card(id: string, title: string, ...body: Node[]): { section: HTMLElement; body: HTMLElement; heading: HTMLElement } {
  const heading = el('h2', { id: `${id}-title` }, title);
  const content = el('div', { class: 'card-body' }, ...body);
  const section = el('section', { class: 'card', id, 'aria-labelledby': `${id}-title` }, heading, content);
  return { section, body: content, heading };
}
