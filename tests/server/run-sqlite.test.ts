import { describe } from 'node:test';
import { runSuite } from './api-run.ts';

describe('jobs executed through the server on SQLite', () => runSuite());
