/**
 * A small declarative schema: each field knows its type, its allowed range and its default, so
 * one description gives validation (errors that name the field and what is allowed), defaults,
 * and the limits a form shows next to an input. Pure TypeScript: used by the engine, the monitor
 * and the renderer alike.
 */

/** One problem with one field. `path` reads like `lines[0].servers[1].port`. */
export interface FieldError {
  path: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface Field<T> {
  /** Human-readable description of what is allowed, e.g. "an integer from 30 to 600". */
  readonly allowed: string;
  /** Present when the field may be omitted; the value used then. */
  readonly fallback?: () => T;
  parse(input: unknown, path: string, errors: FieldError[]): T | undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function fail(errors: FieldError[], path: string, allowed: string, got: unknown): undefined {
  errors.push({ path, message: `must be ${allowed} (got ${describe(got)})` });
  return undefined;
}

export interface IntegerField extends Field<number> {
  readonly min: number;
  readonly max: number;
  /** Values outside min..max that are still allowed (e.g. 0 = off). */
  readonly also: readonly number[];
}

export function integer(min: number, max: number, options: { default?: number; also?: number[]; unit?: string } = {}): IntegerField {
  const also = options.also ?? [];
  const unit = options.unit ? ` ${options.unit}` : '';
  const allowed = also.length
    ? `${also.join(' or ')}, or an integer from ${min} to ${max}${unit}`
    : `an integer from ${min} to ${max}${unit}`;
  return {
    allowed,
    min,
    max,
    also,
    fallback: options.default === undefined ? undefined : () => options.default as number,
    parse(input, path, errors) {
      const ok = typeof input === 'number' && Number.isInteger(input) && ((input >= min && input <= max) || also.includes(input));
      return ok ? (input as number) : fail(errors, path, allowed, input);
    },
  };
}

export function boolean(defaultValue?: boolean): Field<boolean> {
  return {
    allowed: 'true or false',
    fallback: defaultValue === undefined ? undefined : () => defaultValue,
    parse(input, path, errors) {
      return typeof input === 'boolean' ? input : fail(errors, path, 'true or false', input);
    },
  };
}

export function oneOf<const V extends string>(values: readonly V[], defaultValue?: V): Field<V> {
  const allowed = `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  return {
    allowed,
    fallback: defaultValue === undefined ? undefined : () => defaultValue,
    parse(input, path, errors) {
      return values.includes(input as V) ? (input as V) : fail(errors, path, allowed, input);
    },
  };
}

export function text(options: { min?: number; max: number; pattern?: RegExp; patternHelp?: string; default?: string }): Field<string> {
  const min = options.min ?? 1;
  const allowed = options.patternHelp ?? (min > 0 ? `text of ${min} to ${options.max} characters` : `text of at most ${options.max} characters`);
  return {
    allowed,
    fallback: options.default === undefined ? undefined : () => options.default as string,
    parse(input, path, errors) {
      if (typeof input !== 'string' || input.length < min || input.length > options.max) return fail(errors, path, allowed, input);
      if (options.pattern && !options.pattern.test(input)) return fail(errors, path, allowed, input);
      return input;
    },
  };
}

/** A secret: validated like text, but never echoed back in an error message. */
export function secret(options: { max: number; default?: string }): Field<string> {
  const allowed = `text of at most ${options.max} characters`;
  return {
    allowed,
    fallback: options.default === undefined ? undefined : () => options.default as string,
    parse(input, path, errors) {
      if (typeof input === 'string' && input.length <= options.max) return input;
      errors.push({ path, message: `must be ${allowed}` });
      return undefined;
    },
  };
}

/** Marks a field optional with no default: absent stays absent. */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  return {
    allowed: field.allowed,
    fallback: () => undefined,
    parse: (input, path, errors) => field.parse(input, path, errors),
  };
}

type Shape = Record<string, Field<unknown>>;
export type Infer<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

export interface ObjectField<S extends Shape> extends Field<Infer<S>> {
  readonly shape: S;
}

/**
 * An object with exactly these fields: unknown fields are refused (they are usually typos).
 * `retired` names fields that existed once, each with the sentence that says what replaced it, so
 * an old config file is refused with a message that leads to the new field.
 */
export function object<S extends Shape>(shape: S, options: { defaultWhenMissing?: boolean; retired?: Record<string, string> } = {}): ObjectField<S> {
  const field: ObjectField<S> = {
    shape,
    allowed: `an object with fields ${Object.keys(shape).join(', ')}`,
    fallback: options.defaultWhenMissing ? () => field.parse({}, '', []) as Infer<S> : undefined,
    parse(input, path, errors) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail(errors, path || 'value', 'an object', input);
      const record = input as Record<string, unknown>;
      const before = errors.length;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(record)) {
        if (key in shape) continue;
        const retired = options.retired?.[key];
        errors.push({ path: join(path, key), message: retired ?? `is not a known field (known: ${Object.keys(shape).join(', ')})` });
      }
      for (const [key, child] of Object.entries(shape)) {
        const childPath = join(path, key);
        if (record[key] === undefined) {
          if (child.fallback) out[key] = child.fallback();
          else errors.push({ path: childPath, message: `is required: ${child.allowed}` });
          continue;
        }
        out[key] = child.parse(record[key], childPath, errors);
      }
      return errors.length === before ? (out as Infer<S>) : undefined;
    },
  };
  return field;
}

export function list<T>(item: Field<T>, options: { min: number; max: number; unique?: boolean; default?: T[] }): Field<T[]> {
  const allowed = `a list of ${options.min} to ${options.max} ${options.unique ? 'different ' : ''}items${options.unique && item.allowed ? ` (each ${item.allowed})` : ''}`;
  return {
    allowed,
    fallback: options.default === undefined ? undefined : () => [...(options.default as T[])],
    parse(input, path, errors) {
      if (!Array.isArray(input) || input.length < options.min || input.length > options.max) return fail(errors, path, allowed, input);
      const before = errors.length;
      const out = input.map((element, index) => item.parse(element, `${path}[${index}]`, errors));
      if (options.unique) {
        input.forEach((element, index) => {
          const first = input.indexOf(element);
          if (first !== index) errors.push({ path: `${path}[${index}]`, message: `must not repeat ${describe(element)} (also ${path}[${first}])` });
        });
      }
      return errors.length === before ? (out as T[]) : undefined;
    },
  };
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Runs a field's parser at the root and packs the outcome. */
export function parseWith<T>(field: Field<T>, input: unknown, path = ''): ParseResult<T> {
  const errors: FieldError[] = [];
  const value = field.parse(input, path, errors);
  return errors.length === 0 ? { ok: true, value: value as T } : { ok: false, errors };
}

/** One line per error, for a terminal or a log. */
export function formatErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join('\n');
}
