export function sleep(ms: number, signal?: AbortSignal): Promise<void>;
export function withTimeout<T>(promise: PromiseLike<T>, ms: number, message?: string): Promise<T>;
export function finishesWithin(promise: PromiseLike<unknown>, ms: number): Promise<boolean>;
