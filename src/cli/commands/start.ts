import type { Command } from 'commander';
import { installShutdown, startApp } from '../../app.js';
import { ConfigError, loadConfig } from '../../config.js';
import { runCluster } from '../cluster.js';

export function register(program: Command): void {
  program
    .command('start')
    .description('启动服务 / start the server (configuration from environment variables, see README)')
    .action(async () => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig();
      } catch (e) {
        if (e instanceof ConfigError) {
          console.error(e.message);
          process.exit(2);
        }
        throw e;
      }
      if (config.workers > 1) return runCluster(config);
      const running = await startApp(config, { banner: true });
      installShutdown(running);
    });
}
