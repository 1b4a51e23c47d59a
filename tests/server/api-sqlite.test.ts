import { describe } from 'node:test';
import { apiSuite } from './api-e2e.ts';

describe('REST API end to end on SQLite', () => apiSuite());
