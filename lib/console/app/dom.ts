/**
 * The console's only way to build DOM: `h()` for HTML elements and `svg()` for chart shapes. Children
 * are Nodes or plain values turned into text nodes, so a string from the API can never become markup.
 * Attributes go through `setAttribute` with a guard: no `on*` handler strings, no inline `style` (the
 * CSP forbids it anyway), no `srcdoc`, and link targets limited to in-page `#` routes and relative or
 * https URLs. Event listeners are passed as functions in `on`. Nothing here uses innerHTML.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type AttrValue = string | number | boolean | null | undefined;

export interface Props {
  [name: string]: AttrValue | Partial<Record<keyof HTMLElementEventMap, (event: Event) => void>>;
}

const FORBIDDEN_ATTR = /^(on|style$|srcdoc$|formaction$)/i;
const URL_ATTRS = new Set(['href', 'src', 'action', 'xlink:href']);
const SAFE_URL = /^(#|https:\/\/|\.{0,2}\/|[a-z0-9_-]+(\/|$|\.))/i;

function setAttributes(el: Element, props: Props | undefined): void {
  if (!props) return;
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [type, fn] of Object.entries(value as Record<string, (event: Event) => void>)) {
        el.addEventListener(type, fn);
      }
      continue;
    }
    if (FORBIDDEN_ATTR.test(name)) throw new Error(`attribute ${name} is not allowed`);
    if (value === null || value === undefined || value === false) continue;
    const text = value === true ? '' : String(value);
    if (URL_ATTRS.has(name) && !SAFE_URL.test(text)) throw new Error(`unsafe URL in ${name}`);
    el.setAttribute(name, text);
  }
}

function append(el: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** An HTML element with attributes, listeners and text or element children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttributes(el, props);
  append(el, children);
  return el;
}

/** An SVG element (for the chart), with the same guards. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttributes(el, props);
  append(el, children);
  return el;
}

/** Replaces an element's content. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let idCounter = 0;
/** A document-unique id for label/aria wiring. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
