import type { FastifyInstance } from 'fastify';
import { AuthFailureLimiter } from '../../security/auth-failure-limiter.js';
import { AdminService, type AdminServices } from '../admin-service.js';
import { InvoiceExports, type InvoiceExportsServices } from '../invoice-exports.js';
import { adminApi } from './admin-api.js';
import { AdminTokens } from './admin-tokens.js';
import { adminConsole } from './console.js';

/**
 * Adds the operators' doors to the admin listener (never to the push port): the admin API under
 * /api and the web console under /console, both authenticated by the named tokens of
 * `admin.tokens`, sharing one failed-login limit (`admin.auth_failures`).
 */
export async function registerOperatorRoutes(app: FastifyInstance, services: AdminServices & InvoiceExportsServices): Promise<void> {
  const { config, logger } = services;
  const tokens = new AdminTokens(config.admin.tokens);
  const limiter = new AuthFailureLimiter('admin.auth_failures', config.admin.authFailures, logger);
  const admin = new AdminService(services);
  const invoices = new InvoiceExports(services);
  await app.register(adminApi, { prefix: '/api', admin, invoices, tokens, limiter, logger });
  await app.register(adminConsole, {
    prefix: '/console', admin, invoices, tokens, limiter, logger, config: config.admin.console, queues: services.queues, tenants: Object.keys(config.tenants),
  });
}
