import { TidalError } from "../../util/errors.ts";

export type FormulaErrorKind = "syntax" | "name" | "type" | "evaluation";

/** A formula that does not parse, names an unknown trigger, or fails while being evaluated. */
export class FormulaError extends TidalError {
  readonly kind: FormulaErrorKind;
  /** 1-based column in the formula, when the error belongs to one place. */
  readonly column: number | undefined;

  constructor(kind: FormulaErrorKind, message: string, column?: number) {
    super(`TIDAL_E_FORMULA_${kind.toUpperCase()}`, message);
    this.name = "FormulaError";
    this.kind = kind;
    this.column = column;
  }
}

/** The usual shape: "formula: <detail>". */
export function formulaError(kind: FormulaErrorKind, detail: string, column?: number): FormulaError {
  return new FormulaError(kind, `formula: ${detail}`, column);
}
