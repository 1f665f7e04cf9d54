export function levelNumber(name: string | undefined): number;
export function formatLogLine(app: string, line: string, options?: { color?: boolean; minLevel?: number; width?: number }): string | null;
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void };
export function formatCount(n: unknown): string;
