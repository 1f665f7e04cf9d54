import { Module } from '@nestjs/common';

/**
 * The root module of the stream-processor app. The processor has no HTTP API
 * of its own beyond the operations routes (health and metrics), which
 * main.ts mounts; its work is the consumer loop in StreamProcessor.
 */
@Module({})
export class AppModule {}
