/**
 * Glob patterns as KEDA's azure-blob scaler compiles them (gobwas/glob without separators): `*`
 * and `**` match any run of characters, `/` included; `?` one character; `[abc]`, `[a-z]`,
 * `[!abc]` a class; `{a,b}` alternatives (which may hold patterns); `\` escapes the next
 * character. The whole name must match.
 */

function escapeRegExp(character: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(character) ? `\\${character}` : character;
}

/** Inside a class, with the `u` flag, `-` must be escaped too. */
function escapeInClass(character: string): string {
  return /[\\^\][-]/.test(character) ? `\\${character}` : character;
}

class GlobError extends Error {}

function parse(pattern: string, start: number, inAlternatives: boolean): { source: string; end: number } {
  let source = "";
  let index = start;
  while (index < pattern.length) {
    const character = pattern[index] as string;
    if (inAlternatives && (character === "," || character === "}")) break;
    if (character === "\\") {
      if (index + 1 >= pattern.length) throw new GlobError("a pattern cannot end with \\");
      source += escapeRegExp(pattern[index + 1] as string);
      index += 2;
    } else if (character === "*") {
      while (pattern[index] === "*") index += 1;
      source += "[\\s\\S]*";
    } else if (character === "?") {
      source += "[\\s\\S]";
      index += 1;
    } else if (character === "[") {
      const parsed = parseClass(pattern, index + 1);
      source += parsed.source;
      index = parsed.end;
    } else if (character === "{") {
      const options: string[] = [];
      let position = index + 1;
      for (;;) {
        const option = parse(pattern, position, true);
        options.push(option.source);
        if (option.end >= pattern.length) throw new GlobError("unclosed {");
        position = option.end + 1;
        if (pattern[option.end] === "}") break;
      }
      source += `(?:${options.join("|")})`;
      index = position;
    } else {
      source += escapeRegExp(character);
      index += 1;
    }
  }
  return { source, end: index };
}

function parseClass(pattern: string, start: number): { source: string; end: number } {
  let index = start;
  let negated = false;
  if (pattern[index] === "!") {
    negated = true;
    index += 1;
  }
  let body = "";
  let closed = false;
  while (index < pattern.length) {
    let character = pattern[index] as string;
    if (character === "]") {
      closed = true;
      index += 1;
      break;
    }
    if (character === "\\") {
      index += 1;
      if (index >= pattern.length) break;
      character = pattern[index] as string;
    }
    if (pattern[index + 1] === "-" && index + 2 < pattern.length && pattern[index + 2] !== "]") {
      const to = pattern[index + 2] as string;
      if (to < character) throw new GlobError(`invalid range ${character}-${to}`);
      body += `${escapeInClass(character)}-${escapeInClass(to)}`;
      index += 3;
      continue;
    }
    body += escapeInClass(character);
    index += 1;
  }
  if (!closed || body === "") throw new GlobError("unclosed or empty [ ] class");
  return { source: `[${negated ? "^" : ""}${body}]`, end: index };
}

/** The pattern as a whole-name regular expression, or an error message for an invalid pattern. */
export function compileGlob(pattern: string): RegExp | { error: string } {
  try {
    const { source } = parse(pattern, 0, false);
    return new RegExp(`^${source}$`, "u");
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
