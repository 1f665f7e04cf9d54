// A type:tool project: the root config's constraints (tools may use tools and libraries, never apps) apply as they are.
export { default } from '../../eslint.config.mjs';
