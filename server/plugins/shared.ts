/**
 * Marks a plugin as not encapsulated (what fastify-plugin does): its hooks,
 * decorators and handlers apply to the whole app, not just its own children.
 */
import type { FastifyPluginAsync } from 'fastify';

export function shared<T extends FastifyPluginAsync<never>>(plugin: T): T {
  Object.defineProperty(plugin, Symbol.for('skip-override'), { value: true });
  return plugin;
}
