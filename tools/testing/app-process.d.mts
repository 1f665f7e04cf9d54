import type { ChildProcess } from 'node:child_process';

export interface AppProcess {
  url: string;
  port: number;
  pid: number | undefined;
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const TEST_SERVICE_TOKEN: string;
export const SERVICE_AUTH: Readonly<{ authorization: string }>;
export function freePort(): Promise<number>;
export function appNodeOptions(appDir: string, inherited?: string): string;
export function appDirOf(entry: string): string;
export function startAppProcess(
  entry: string,
  options?: { env?: Record<string, string>; port?: number; timeoutMs?: number; waitLive?: boolean },
): Promise<AppProcess>;
