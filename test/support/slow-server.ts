// The real start path (startApp + installShutdown) plus one slow route, for the graceful-shutdown test.
import { installShutdown, startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const running = await startApp(loadConfig(), {
  banner: true,
  extraPlugins: [
    (app) => {
      app.get('/probe/slow', async () => {
        await new Promise((r) => setTimeout(r, 1500));
        return { finished: true };
      });
    },
  ],
});
installShutdown(running);
