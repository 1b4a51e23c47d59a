#!/usr/bin/env node
/**
 * A consistent copy of a live SQLite database through SQLite's online backup
 * API (node:sqlite), for machines without the sqlite3 command. The server may
 * keep writing meanwhile: the copy is one point in time, WAL included.
 */
import { existsSync } from 'node:fs';
import { backup, DatabaseSync } from 'node:sqlite';

const HELP = `usage: node scripts/sqlite-backup.ts SOURCE.db DEST.db

Copies a SQLite database (e.g. comfy-multi's data/queue.db) consistently while the server
keeps running, like sqlite3's ".backup". DEST must not exist yet.
`;

async function main(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) return void process.stdout.write(HELP);
  const [source, dest, ...extra] = args;
  if (!source || !dest || extra.length > 0) throw new Error(`expected SOURCE.db DEST.db\n\n${HELP}`);
  if (!existsSync(source)) throw new Error(`${source} does not exist`);
  if (existsSync(dest)) throw new Error(`${dest} exists already; choose a new file`);
  const db = new DatabaseSync(source);
  try {
    await backup(db, dest);
  } finally {
    db.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`sqlite-backup: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
