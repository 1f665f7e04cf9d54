import { Module } from '@nestjs/common';

/** The root module of the orchestrator app. */
@Module({})
export class AppModule {}
