export const workspaceRoot: string;
export function contextDir(projectRoot: string, root?: string): string;
export function imageName(projectRoot: string, prefix?: string): string;
export function workspaceLibraries(
  root?: string,
): Map<string, { dir: string; version: string; pkg: { name: string; version: string; main?: string; dependencies?: Record<string, string> } }>;
export function workspaceClosure(dependencies: Record<string, string> | undefined, libs: ReturnType<typeof workspaceLibraries>): string[];
export function prepareContext(options: { projectRoot: string; root?: string }): {
  dir: string;
  name: string;
  version: string;
  libraries: string[];
  dependencies: Record<string, string>;
};
export function shippedFiles(appDir: string, pkg: { files?: string[] }): string[];
