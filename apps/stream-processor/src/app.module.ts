import { Module } from '@nestjs/common';

/** The root module of the stream-processor app. */
@Module({})
export class AppModule {}
