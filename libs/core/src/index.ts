export * from './errors';
export * from './retry';
export * from './sleep';
export * from './logger';
export * from './events';
export * from './config';
