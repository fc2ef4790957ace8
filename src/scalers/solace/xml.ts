/**
 * The little XML SEMP v1 answers need: elements with attributes and text, comments, declarations
 * and CDATA skipped, the five predefined entities and numeric references decoded. Not a validating
 * parser: malformed input gives an error naming the position.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

export function parseXml(source: string): XmlElement {
  const root: XmlElement = { name: "", attributes: {}, children: [], text: "" };
  const stack: XmlElement[] = [root];
  const tag =
    /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>/g;
  let position = 0;
  for (let match = tag.exec(source); match !== null; match = tag.exec(source)) {
    const current = stack[stack.length - 1]!;
    current.text += decode(source.slice(position, match.index));
    position = tag.lastIndex;
    if (match[5] !== undefined) {
      current.text += match[5];
      continue;
    }
    if (match[2] === undefined) continue;
    if (match[1] === "/") {
      if (current.name !== match[2] || stack.length === 1) {
        throw new Error(`unexpected </${match[2]}> at offset ${match.index}`);
      }
      stack.pop();
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const attribute of (match[3] ?? "").matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attributes[attribute[1]!] = decode(attribute[2] ?? attribute[3] ?? "");
    }
    const element: XmlElement = { name: match[2], attributes, children: [], text: "" };
    current.children.push(element);
    if (match[4] !== "/") stack.push(element);
  }
  if (stack.length !== 1) throw new Error(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (/<|>/.test(source.slice(position).trim()) || (root.children.length === 0 && source.trim() !== "")) {
    throw new Error("the answer is not XML");
  }
  return root;
}

/** The first descendant reached by the names, one level each; undefined when one is missing. */
export function child(element: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let current = element;
  for (const name of names) current = current?.children.find((item) => item.name === name);
  return current;
}

export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((item) => item.name === name) ?? [];
}

/** The integer text of a child, as Go's encoding/xml reads an int64 (missing or empty is 0). */
export function intOf(element: XmlElement | undefined, name: string): number {
  const text = child(element, name)?.text.trim() ?? "";
  if (text === "") return 0;
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`<${name}> holds "${text}", not an integer`);
  return Number.parseInt(text, 10);
}

export function textOf(element: XmlElement | undefined, name: string): string {
  return child(element, name)?.text ?? "";
}
