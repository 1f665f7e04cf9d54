// Types of stack-lib.mjs, for TypeScript tests that start, kill and restart servers.

export class StackError extends Error {}
export class ConfigError extends Error {}
export const REPO_ROOT: string;
export const NODE_COUNTS: number[];
export const COMMITLOG_MODES: Record<'group' | 'periodic', string>;

/** `nodes`: 1 (default) or 3; `env`: where the settings are read (default process.env). */
export interface StackOptions {
  nodes?: number | string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ServerInfo {
  started: boolean;
  pid: number;
  version?: string;
  startMs?: number;
  [key: string]: unknown;
}

export interface ServerStatus {
  title: string;
  address: string;
  logFile: string;
  state: 'ready' | 'not-ready' | 'stopped';
  pid?: number;
  version?: string;
  [key: string]: unknown;
}

/** The variables that tell apps and tests where the stack listens (KAFKA_BROKERS, CASSANDRA_CONTACT_POINTS, ...). */
export type ClientEnv = Record<string, string>;

export function stackConfig(
  env?: Record<string, string | undefined>,
  options?: { nodes?: number | string },
): { stackDir: string; nodes: number; shape: string; servers: string[]; env: ClientEnv; [key: string]: unknown };
export function stackUp(options?: StackOptions): Promise<{
  elapsedMs: number;
  started: string[];
  servers: Record<string, ServerInfo>;
  nodes: number;
  env: ClientEnv;
}>;
export function stackDown(options?: StackOptions & { servers?: string[] }): Promise<{ stopped: string[] }>;
export function stackStatus(options?: StackOptions): Promise<{
  ready: boolean;
  stackDir: string;
  nodes: number;
  servers: Record<string, ServerStatus>;
}>;
/** Starts servers by id (`cassandra-2`) or kind (`kafka`); resolves once they answer. */
export function startServers(names: string[], options?: StackOptions): Promise<Record<string, ServerInfo>>;
/** kill -9 of one server, by id (`cassandra-2`, or `kafka` on one node). */
export function killServer(name: string, options?: StackOptions): Promise<{ pid: number }>;
export function stackPids(options?: StackOptions): Record<string, number | null>;
export function startKafka(options?: StackOptions): Promise<Record<string, ServerInfo>>;
export function startCassandra(options?: StackOptions): Promise<Record<string, ServerInfo>>;
export function stopKafka(options?: StackOptions): Promise<{ stopped: string[] }>;
export function stopCassandra(options?: StackOptions): Promise<{ stopped: string[] }>;
