import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { assetPath } from '../paths.js';
import type { App } from './server.js';

/** The single-page app's own paths (web/src/main.tsx); each answers with index.html so deep links work. */
export const SPA_PATHS = [
  '/',
  '/login',
  '/console',
  '/console/*',
  '/holder',
  '/holder/*',
  '/institution',
  '/institution/*',
  '/verify',
  '/verify/*',
];

/**
 * Serves the built web app (web/dist, produced by `npm run web:build`): hashed bundles under /assets/ (cached for a
 * year) and index.html for the SPA paths. Only those paths are claimed, so /api, /v/<token> and the JSON 404 envelope
 * stay with their owners. Without a build the SPA paths answer 503 with a bilingual hint instead of a blank page.
 */
export async function webRoutes(app: App, distDir: string = assetPath('web', 'dist')): Promise<void> {
  const index = join(distDir, 'index.html');
  if (existsSync(join(distDir, 'assets'))) {
    await app.register(fastifyStatic, {
      root: join(distDir, 'assets'),
      prefix: '/assets/',
      immutable: true,
      maxAge: '365d',
      index: false,
    });
  }
  // The 查询二维码 URL is BASE_URL/v/<token>; it opens the verification page unless a module already answers there.
  const paths = app.hasRoute({ method: 'GET', url: '/v/:token' }) ? SPA_PATHS : [...SPA_PATHS, '/v/:token'];
  for (const url of paths) {
    app.get(url, { schema: { hide: true } }, async (_req, reply) => {
      if (!existsSync(index)) {
        return reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('网页界面尚未构建，请运行 npm run web:build / the web UI is not built yet: run npm run web:build\n');
      }
      // Read per request: index.html is tiny and a rebuild must show up without a restart.
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(readFileSync(index));
    });
  }
}
