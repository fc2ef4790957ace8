/**
 * Checks a label selector as Kubernetes parses it (k8s.io/apimachinery labels.Parse, which KEDA's
 * kubernetes-workload calls): comma-separated requirements `key`, `!key`, `key=value`,
 * `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key>1`, `key<1`. The API server
 * does the selecting; this only finds the mistakes KEDA would report at parse time.
 */

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) {
    return `"${key}": the prefix must be a DNS subdomain`;
  }
  if (!NAME.test(name)) {
    return `"${key}": a label key is at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value === "" || NAME.test(value)) return undefined;
  return `"${value}": a label value is empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
}

/** Splits at commas outside parentheses. */
function requirements(selector: string): string[] | string {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const character of selector) {
    if (character === "(") depth += 1;
    if (character === ")") depth -= 1;
    if (depth < 0) return `unbalanced ")"`;
    if (character === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
    } else current += character;
  }
  if (depth !== 0) return `unbalanced "("`;
  parts.push(current.trim());
  return parts;
}

/** Why the selector is not valid, or undefined when it is. */
export function labelSelectorProblem(selector: string): string | undefined {
  const parts = requirements(selector);
  if (typeof parts === "string") return parts;
  for (const part of parts) {
    if (part === "") return "an empty requirement (two commas in a row, or a comma at an end)";
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (set) {
      const problem = keyProblem(set[1] as string);
      if (problem) return problem;
      const values = (set[3] as string).split(",").map((value) => value.trim());
      if (values.length === 1 && values[0] === "") return `"${part}": the set of values is empty`;
      for (const value of values) {
        const invalid = valueProblem(value);
        if (invalid) return invalid;
      }
      continue;
    }
    const comparison = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(part);
    if (comparison) {
      const problem = keyProblem(comparison[1] as string);
      if (problem) return problem;
      const [operator, value] = [comparison[2] as string, (comparison[3] as string).trim()];
      if ((operator === "<" || operator === ">") && !/^-?\d+$/.test(value)) {
        return `"${part}": ${operator} needs an integer`;
      }
      const invalid = valueProblem(value);
      if (invalid) return invalid;
      continue;
    }
    const exists = /^(!?)\s*(\S+)$/.exec(part);
    if (exists) {
      const problem = keyProblem(exists[2] as string);
      if (problem) return problem;
      continue;
    }
    return `"${part}" is not a requirement such as key=value, key!=value, key in (a,b) or !key`;
  }
  return undefined;
}
