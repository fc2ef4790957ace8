// @ts-check
// Small helpers of the dashboard: building elements (text is always set as text, never as HTML)
// and formatting numbers and times.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Record<string, string | number | boolean | undefined | ((event: Event) => void)>} Attributes
 */

/**
 * Creates an element: `h("a", { href: "#/" }, "text", child)`. Attributes starting with "on" are
 * listeners; `false`, null and undefined children are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attributes} [attributes]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {(Child | Child[])[]} children
 */
function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === "number" ? String(child) : child);
  }
}

/**
 * An SVG element (for sparklines).
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {...Element} children
 * @returns {SVGElement}
 */
export function svg(tag, attributes, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

const numberFormat = new Intl.NumberFormat("en", { maximumFractionDigits: 3 });

/**
 * @param {number | null | undefined} value
 * @returns {string}
 */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (Math.abs(value) >= 1e6) return value.toExponential(3);
  return numberFormat.format(value);
}

/**
 * A time as HH:MM:SS in the browser's zone.
 * @param {string | number | Date} at
 */
export function clock(at) {
  const date = new Date(at);
  return date.toLocaleTimeString("en-GB", { hour12: false });
}

/**
 * "12 s ago", "3 min ago".
 * @param {string | null | undefined} at
 * @param {number} [now]
 */
export function ago(at, now = Date.now()) {
  if (!at) return "never";
  const seconds = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}
