import { Controller, Get, Param, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { sendStatic } from './static-files';

/** Serves the dashboard: one static page with vanilla JS that polls the API. Login is handled by the auth middleware. */
@Controller()
export class DashboardController {
  @Get()
  index(@Res() res: ServerResponse): void {
    sendStatic(res, 'index.html');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: ServerResponse): void {
    sendStatic(res, file);
  }

  @Get('favicon.ico')
  favicon(@Res() res: ServerResponse): void {
    sendStatic(res, 'favicon.svg');
  }
}
