// The workflow bundle's entry: every workflow type the worker runs is exported here.
export { ping } from './ping';
