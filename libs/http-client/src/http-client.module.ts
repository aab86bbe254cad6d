import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { SafeHttpClient } from './safe-http-client';

/**
 * The one outgoing HTTP client of a process (feeds, partner APIs, later webhooks), with the SSRF guard
 * configured once: FETCH_ALLOW_PRIVATE lets tests and the demo reach loopback.
 */
@Global()
@Module({
  providers: [
    {
      provide: SafeHttpClient,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new SafeHttpClient({ allowPrivate: config.fetch.allowPrivate }),
    },
  ],
  exports: [SafeHttpClient],
})
export class HttpClientModule {}
