import { Controller, Get, Param, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { DashboardState, pageWithState } from './dashboard-state';
import { sendPage, sendStatic, staticFile } from './static-files';

/**
 * Serves the dashboard: one page with vanilla JS that polls the API, served
 * with the current state in it so it paints at once. Login is handled by the
 * auth middleware.
 */
@Controller()
export class DashboardController {
  constructor(private readonly state: DashboardState) {}

  @Get()
  index(@Res() res: ServerResponse): void {
    sendPage(res, 'index.html', pageWithState(staticFile('index.html').toString('utf8'), this.state.current()));
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
