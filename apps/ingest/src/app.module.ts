import { Module } from '@nestjs/common';

/** The root module of the ingest app. */
@Module({})
export class AppModule {}
