/**
 * Node configurations carry `version`. A flow saved by an older version of this package is upgraded
 * here, in the runtime, step by step, so old flows keep working without a visit to the editor.
 * Version 0 is a configuration without `version` (the 0.0.x pre-releases, which used the names
 * node-red-contrib-influxdb uses). Each step takes version n to n + 1; never edit a released step.
 * A type without steps here (a new node) is at version 1; add its steps here when it changes.
 */

type Config = Record<string, unknown>;
type Step = (config: Config) => Config;

const STORE_STEPS: Step[] = [
  // 0 -> 1: measurement -> table, precision ('ms' | 's') -> timeUnit, tags (CSV) -> tagProps,
  // rejectInvalid (boolean) -> invalid ('reject' | 'skip').
  ({ measurement, precision, tags, rejectInvalid, ...rest }) => ({
    ...rest,
    table: rest.table ?? measurement ?? '',
    timeUnit: rest.timeUnit ?? (precision === 's' ? 's' : 'ms'),
    tagProps: rest.tagProps ?? tags ?? '',
    invalid: rest.invalid ?? (rejectInvalid === false ? 'skip' : 'reject'),
  }),
];

const QUERY_STEPS: Step[] = [
  // 0 -> 1: query -> sql, output 'array' -> 'rows', 'single' -> 'first'.
  ({ query, output, ...rest }) => ({
    ...rest,
    sql: rest.sql ?? query ?? '',
    output: output === 'array' || output === undefined ? 'rows' : output === 'single' ? 'first' : output,
  }),
];

const DB_STEPS: Step[] = [
  // 0 -> 1: path -> dir, memoryLimit -> memoryLimitMB.
  ({ path, memoryLimit, ...rest }) => ({
    ...rest,
    dir: rest.dir ?? path ?? '',
    memoryLimitMB: rest.memoryLimitMB ?? memoryLimit ?? 64,
  }),
];

export const CURRENT_VERSION: Readonly<Record<string, number>> = {
  'helios-db': 1,
  'helios-store': 1,
  'helios-query': 1,
};

const STEPS: Readonly<Record<string, Step[]>> = {
  'helios-db': DB_STEPS,
  'helios-store': STORE_STEPS,
  'helios-query': QUERY_STEPS,
};

/** A node type with no history yet: version 1 is its first release, so 0 -> 1 changes nothing. */
const FIRST_RELEASE: Step[] = [(config) => config];

/**
 * Returns `config` upgraded to the current version of `type` (a new object; the input is untouched).
 * A version newer than this package knows is an error: the flow was saved by a later release.
 */
export function upgradeConfig<T extends object>(type: string, config: T): T & { version: number } {
  const steps = STEPS[type] ?? FIRST_RELEASE;
  const raw = config as unknown as Config;
  let version = typeof raw.version === 'number' ? raw.version : Number(raw.version ?? 0) || 0;
  if (version > steps.length) {
    throw new Error(
      `This ${type} node was saved by a newer version of @helios-edge/node-red-helios ` +
        `(configuration version ${version}; this one knows up to ${steps.length}). Update the package.`,
    );
  }
  let out: Config = { ...raw };
  while (version < steps.length) {
    out = steps[version]!(out);
    version++;
  }
  out.version = version;
  return out as T & { version: number };
}
